// Key files whose key derivation claims an absurd iteration count. The loaders must refuse them
// (TlsConfigError) rather than spin for hours: a configuration file, or a pfx a user was handed,
// should not be able to hang the process that loads it.
//
// Both loaders read the count before deriving anything and refuse one over MAX_KDF_ITERATIONS
// (lib/pki/der.ts): loadPfx for its MAC and bag encryption, loadPrivateKey for PBES2's PBKDF2
// and scrypt parameters.

import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import test from 'ava';
import { loadPfx, loadPrivateKey } from '../../lib/index';
import { children, parseDer, type Tlv } from '../../lib/pki/der';
import { demoPath } from '../helpers/pki';

const HUGE = Buffer.of(0x7f, 0xff, 0xff, 0xff); // 2^31 - 1

function encodeTlv(first: number, value: Buffer): Buffer {
  const n = value.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff]
    : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.of(first, ...length), value]);
}

/** Re-encodes `tlv` with every INTEGER equal to `from` replaced by `to`, lengths fixed up. */
function replaceInteger(tlv: Tlv, from: Buffer, to: Buffer): Buffer {
  const first = tlv.raw[0];
  if (!tlv.constructed) {
    return tlv.cls === 0 && tlv.tag === 2 && tlv.value.equals(from) ? encodeTlv(first, to) : tlv.raw;
  }
  return encodeTlv(first, Buffer.concat(children(tlv).map((c) => replaceInteger(c, from, to))));
}

/**
 * Runs a load in this process and describes its outcome. The loaders refuse the count before
 * deriving anything, so this returns at once; were that check lost, the test would hang until
 * ava's timeout and fail there. (A child process per load is too slow to start under a loaded
 * CI run to be timed fairly.)
 */
async function load(call: () => unknown): Promise<{ finished: boolean; output: string }> {
  try {
    call();
    return { finished: true, output: 'loaded' };
  } catch (e) {
    const error = e as Error & { code?: string };
    return { finished: true, output: `${error.name} ${error.code ?? ''}: ${error.message}` };
  }
}

test('loadPfx: a MAC with 2^31 - 1 iterations is refused, not computed', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tls13-pfx-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'a.p12');
  execFileSync('openssl', ['pkcs12', '-export', '-in', demoPath('server.pem'),
    '-inkey', demoPath('server-key.pem'), '-passout', 'pass:x', '-out', file], { stdio: 'ignore' });
  const pfx = readFileSync(file);
  const patched = replaceInteger(parseDer(pfx), Buffer.of(0x08, 0x00), HUGE);
  t.false(patched.equals(pfx), 'the pfx had an iteration count of 2048 to patch');
  const { finished, output } = await load(() => loadPfx(patched, 'x'));
  t.log(output);
  t.true(finished, 'loadPfx returned or threw');
  t.regex(output, /TlsConfigError/);
});

test('loadPrivateKey: PBKDF2 with 2^31 - 1 iterations is refused, not computed',
  async (t) => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = privateKey.export({ type: 'pkcs8', format: 'der', cipher: 'aes-128-cbc',
      passphrase: 'x' });
    const patched = replaceInteger(parseDer(der), Buffer.of(0x08, 0x00), HUGE);
    t.false(patched.equals(der), 'the key had an iteration count of 2048 to patch');
    const { finished, output } = await load(() => loadPrivateKey(patched, 'x'));
    t.log(output);
    t.true(finished, 'loadPrivateKey returned or threw');
    t.regex(output, /TlsConfigError/);
  });

test('loadPrivateKey: the same key with its 2048 iterations loads (the patch is the only fault)',
  async (t) => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = privateKey.export({ type: 'pkcs8', format: 'der', cipher: 'aes-128-cbc',
      passphrase: 'x' });
    const rebuilt = replaceInteger(parseDer(der), Buffer.of(0x08, 0x00), Buffer.of(0x08, 0x00));
    t.true(rebuilt.equals(der));
    const { finished, output } = await load(() => loadPrivateKey(rebuilt, 'x'));
    t.true(finished);
    t.is(output, 'loaded');
  });

test('loadPrivateKey: scrypt over MAX_SCRYPT_MEMORY is refused by name; N = 16384 loads', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tls13-scrypt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'scrypt.pem');
  // OpenSSL writes N = 16384, r = 8, p = 1, and will not write a key it could not read back.
  execFileSync('openssl', ['pkcs8', '-topk8', '-in', demoPath('server-key.pem'), '-scrypt',
    '-passout', 'pass:x', '-out', file], { stdio: 'ignore' });
  const der = Buffer.from(
    readFileSync(file, 'utf8').replace(/-----[^-]+-----|\s/g, ''),
    'base64',
  );
  t.is((await load(() => loadPrivateKey(der, 'x'))).output, 'loaded');
  const doubled = replaceInteger(parseDer(der), Buffer.of(0x40, 0x00), Buffer.of(0x00, 0x80, 0x00));
  t.false(doubled.equals(der), 'the key had N = 16384 to patch');
  const { output } = await load(() => loadPrivateKey(doubled, 'x'));
  t.is(output, 'TlsConfigError ERR_TLS13_UNSUPPORTED_KEY: encrypted PKCS#8 key asks for scrypt ' +
    'N=32768 r=8 p=1, which needs 33 MiB, over the 32 MiB OpenSSL allows for decrypting a key');
});
