// The PKI loaders fed mutated input from the demo PKI (seeded, so every run is the same):
// loadCertificates and verifyCertificateChain with mutated DER and PEM text, loadPrivateKey
// with mutated DER, mutated PEM bodies and mutated PEM text. Each call must return or throw a
// TlsError / DecodeError: never a TypeError, RangeError or any other stray exception.

import { readFileSync } from 'node:fs';
import test from 'ava';
import {
  DecodeError, TlsError, loadCertificates, loadPrivateKey, verifyCertificateChain,
} from '../../lib/index';
import { demoPath, type DemoFile } from '../helpers/pki';
import { seeded } from './raw';

const CERTS: DemoFile[] = ['server.pem', 'ca.pem', 'intermediate.pem', 'server-rsa.pem',
  'server-ed25519.pem', 'server-rsa-pss.pem', 'client-rsa.pem', 'server-ed448.pem'];
const KEYS: DemoFile[] = ['server-key.pem', 'server-rsa-key.pem', 'server-ed25519-key.pem',
  'server-rsa-pss-key.pem', 'client-ecdsa-key.pem', 'server-ed448-key.pem'];

const text = (name: DemoFile) => readFileSync(demoPath(name), 'latin1');
const derOf = (pem: string) => Buffer.from(pem.split(/\r?\n/)
  .filter((l) => l && !l.startsWith('-----')).join(''), 'base64');
const labelOf = (pem: string) => /-----BEGIN ([^-]+)-----/.exec(pem)?.[1] ?? 'PRIVATE KEY';

function mutate(rnd: (n: number) => number, input: Buffer): Buffer {
  const out = Buffer.from(input);
  switch (rnd(5)) {
    case 0:
      for (let i = 0, n = 1 + rnd(4); i < n; i++) out[rnd(out.length)] = rnd(256);
      return out;
    case 1:
      return out.subarray(0, rnd(out.length));
    case 2: {
      const at = rnd(out.length);
      return Buffer.concat([out.subarray(0, at), Buffer.of(rnd(256), rnd(256)), out.subarray(at)]);
    }
    case 3:
      if (out.length > 1) out.writeUInt16BE(rnd(0x10000), rnd(out.length - 1));
      return out;
    default:
      out[rnd(out.length)] ^= 1 << rnd(8);
      return out;
  }
}

function stray(call: () => unknown): string | undefined {
  try {
    call();
    return undefined;
  } catch (error) {
    if (error instanceof TlsError || error instanceof DecodeError) return undefined;
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

const trusted = loadCertificates(readFileSync(demoPath('ca.pem')));

test('4000 mutated certificates (DER and PEM): loadCertificates and verifyCertificateChain ' +
  'throw only TlsError or DecodeError', (t) => {
  const rnd = seeded(5280);
  const strays = new Map<string, string>();
  for (let i = 0; i < 4000; i++) {
    const pem = text(CERTS[i % CERTS.length]);
    const input = i % 4 === 3 ? mutate(rnd, Buffer.from(pem, 'latin1')).toString('latin1')
      : mutate(rnd, derOf(pem));
    const problem = stray(() => {
      const [leaf] = loadCertificates(input);
      verifyCertificateChain({ leaf, intermediates: [], trusted, purpose: 'server',
        name: 'localhost' });
    });
    if (problem && !strays.has(problem)) {
      strays.set(problem, Buffer.isBuffer(input) ? input.toString('hex') : input);
    }
  }
  t.deepEqual([...strays.keys()], []);
});

test('1500 mutated private keys (DER, PEM body, PEM text): loadPrivateKey throws only ' +
  'TlsError or DecodeError', (t) => {
  const rnd = seeded(8017);
  const strays = new Set<string>();
  for (let i = 0; i < 1500; i++) {
    const pem = text(KEYS[i % KEYS.length]);
    const label = labelOf(pem);
    let input: string | Buffer;
    switch (i % 3) {
      case 0: input = mutate(rnd, derOf(pem)); break;
      case 1: input = `-----BEGIN ${label}-----\n${mutate(rnd, derOf(pem)).toString('base64')}\n` +
        `-----END ${label}-----\n`; break;
      default: input = mutate(rnd, Buffer.from(pem, 'latin1')).toString('latin1');
    }
    const problem = stray(() => loadPrivateKey(input));
    if (problem) strays.add(problem);
  }
  t.deepEqual([...strays], []);
});
