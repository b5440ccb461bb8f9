// Key files whose key derivation claims an absurd iteration count. The loaders must refuse them
// (TlsConfigError) rather than spin for hours: a configuration file, or a pfx a user was handed,
// should not be able to hang the process that loads it.
//
// Both loaders read the count before deriving anything and refuse one over MAX_KDF_ITERATIONS
// (lib/pki/der.ts): loadPfx for its MAC and bag encryption, loadPrivateKey for PBES2's PBKDF2
// and scrypt parameters.
// Each load runs in a child process that the test kills after a few seconds.

import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import test from 'ava';
import { children, parseDer, type Tlv } from '../../lib/pki/der';
import { demoPath } from '../helpers/pki';
import { hasCommand } from '../helpers/peers';

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

/** Runs `call` (an expression over `lib` and `input`) in a child; its outcome within `ms`. */
function loadInChild(call: string, input: Buffer, ms: number):
  Promise<{ finished: boolean; output: string }> {
  const lib = path.resolve(__dirname, '..', '..', 'lib', 'index');
  const code = `
    const lib = require(${JSON.stringify(lib)});
    const input = Buffer.from(process.argv[1], 'base64');
    try { ${call}; console.log('loaded'); }
    catch (e) { console.log(e.name + ' ' + (e.code || '') + ': ' + e.message); }`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-e', code, input.toString('base64')],
      { cwd: path.resolve(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve({ finished: signal === null, output: output.trim() });
    });
  });
}

test('loadPfx: a MAC with 2^31 - 1 iterations is refused, not computed', async (t) => {
  if (!hasCommand('openssl')) return t.pass('no openssl to write a pfx');
  const dir = mkdtempSync(path.join(tmpdir(), 'tls13-pfx-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'a.p12');
  execFileSync('openssl', ['pkcs12', '-export', '-in', demoPath('server.pem'),
    '-inkey', demoPath('server-key.pem'), '-passout', 'pass:x', '-out', file], { stdio: 'ignore' });
  const pfx = readFileSync(file);
  const patched = replaceInteger(parseDer(pfx), Buffer.of(0x08, 0x00), HUGE);
  t.false(patched.equals(pfx), 'the pfx had an iteration count of 2048 to patch');
  const { finished, output } = await loadInChild("lib.loadPfx(input, 'x')", patched, 8000);
  t.log(finished ? output : 'killed after 8 s');
  t.true(finished, 'loadPfx returned or threw within 8 s');
  t.regex(output, /TlsConfigError/);
});

test('loadPrivateKey: PBKDF2 with 2^31 - 1 iterations is refused, not computed',
  async (t) => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = privateKey.export({ type: 'pkcs8', format: 'der', cipher: 'aes-128-cbc',
      passphrase: 'x' });
    const patched = replaceInteger(parseDer(der), Buffer.of(0x08, 0x00), HUGE);
    t.false(patched.equals(der), 'the key had an iteration count of 2048 to patch');
    const { finished, output } = await loadInChild("lib.loadPrivateKey(input, 'x')", patched, 8000);
    t.log(finished ? output : 'killed after 8 s');
    t.true(finished, 'loadPrivateKey returned or threw within 8 s');
    t.regex(output, /TlsConfigError/);
  });

test('loadPrivateKey: the same key with its 2048 iterations loads (the patch is the only fault)',
  async (t) => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = privateKey.export({ type: 'pkcs8', format: 'der', cipher: 'aes-128-cbc',
      passphrase: 'x' });
    const rebuilt = replaceInteger(parseDer(der), Buffer.of(0x08, 0x00), Buffer.of(0x08, 0x00));
    t.true(rebuilt.equals(der));
    const { finished, output } = await loadInChild("lib.loadPrivateKey(input, 'x')", rebuilt, 8000);
    t.true(finished);
    t.is(output, 'loaded');
  });
