import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { TlsConfigError } from '../../lib/errors';
import { loadPrivateKey } from '../../lib/pki/keys';
import { loadPfx } from '../../lib/pki/pkcs12';
import { berToDer, children, parseDer, type Tlv } from '../../lib/pki/der';
import { derTlv, makeCa, makeLeaf } from '../helpers/cert-factory';

// pfx files are made by the openssl CLI in the forms OpenSSL 3 and OpenSSL 1.x write.
const dir = mkdtempSync(join(tmpdir(), 'tls13-pfx-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const root = makeCa({ commonName: 'PFX Root' });
const ica = makeCa({ commonName: 'PFX ICA', issuer: root });
const leaf = makeLeaf({ issuer: ica, dns: ['pfx.test'], keyType: 'rsa-2048' });

function exportPfx(name: string, ...args: string[]): Buffer {
  writeFileSync(join(dir, 'leaf.pem'), leaf.certPem);
  writeFileSync(join(dir, 'key.pem'), leaf.keyPem);
  // The CA certificates come first on purpose: loadPfx must put the leaf first.
  writeFileSync(join(dir, 'cas.pem'), root.certPem + ica.certPem);
  execFileSync('openssl', ['pkcs12', '-export', '-in', 'leaf.pem', '-inkey', 'key.pem',
    '-certfile', 'cas.pem', '-out', name, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(join(dir, name));
}

test('OpenSSL 3 default pfx (PBES2, AES-256, SHA-256 MAC) loads with the chain in order', (t) => {
  const identity = loadPfx(exportPfx('modern.p12', '-passout', 'pass:s3cret'), 's3cret');
  t.is(identity.key.format, 'PKCS#12 (PKCS#8)');
  t.is(identity.key.kind, 'rsa');
  t.deepEqual(
    identity.chain.map((c) => c.subjectText),
    ['CN=pfx.test', 'CN=PFX ICA', 'CN=PFX Root'],
  );
  t.is(identity.chain[0], leaf.certificate);
});

test('OpenSSL 1.x style pfx (SHA-1 and triple-DES bags, SHA-1 MAC) loads', (t) => {
  const pfx = exportPfx('des.p12', '-passout', 'pass:s3cret', '-certpbe', 'PBE-SHA1-3DES',
    '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1');
  const identity = loadPfx(pfx, Buffer.from('s3cret'));
  t.is(identity.chain.length, 3);
  t.true(identity.key.keyObject.equals(leaf.key));
});

test('RC2 certificate bags are refused with how to re-export', (t) => {
  // OpenSSL 3's legacy provider writes RC2-40 certificate bags, as OpenSSL 1.x did.
  const pfx = exportPfx('rc2.p12', '-passout', 'pass:s3cret', '-legacy');
  const err = t.throws(() => loadPfx(pfx, 's3cret'), { instanceOf: TlsConfigError });
  t.is(err!.code, 'ERR_TLS13_UNSUPPORTED_KEY');
  t.regex(
    err!.message,
    /encrypted with RC2, which Node 20 cannot decrypt; re-export with openssl pkcs12/,
  );
});

test('a wrong or missing passphrase is named', (t) => {
  const pfx = exportPfx('pw.p12', '-passout', 'pass:right');
  t.throws(
    () => loadPfx(pfx, 'wrong'),
    { message: 'PKCS#12 file: wrong passphrase (its MAC does not verify)' },
  );
  t.throws(() => loadPfx(pfx), { message: 'PKCS#12 file: a passphrase is required' });
});

test('an empty passphrase works when the file was made with one', (t) => {
  const identity = loadPfx(exportPfx('empty.p12', '-passout', 'pass:'));
  t.is(identity.chain[0].subjectText, 'CN=pfx.test');
});

test('a pfx without its key, or junk, is refused with a reason', (t) => {
  const noKey = exportPfx('nokeys.p12', '-passout', 'pass:x', '-nokeys');
  t.throws(
    () => loadPfx(noKey, 'x'),
    { message: 'PKCS#12 file holds 0 private keys; one is needed' },
  );
  t.throws(
    () => loadPfx(Buffer.from('3003020103', 'hex')),
    { message: /PKCS#12 file is malformed/ },
  );
  t.throws(
    () => loadPrivateKey(exportPfx('sniff.p12', '-passout', 'pass:x')),
    { message: /load it with loadPfx/ },
  );
});

// BER as Java and Windows write it: indefinite lengths and an OCTET STRING in segments.
function toBer(der: Buffer): Buffer {
  const indefinite = (tlv: Tlv, inner: Buffer) =>
    Buffer.concat([Buffer.from([tlv.raw[0], 0x80]), inner, Buffer.from([0, 0])]);
  const pfx = parseDer(der);
  const [version, authSafe, mac] = children(pfx);
  const [type, explicit] = children(authSafe);
  const octets = children(explicit)[0].value;
  const half = Math.floor(octets.length / 2);
  const segmented = indefinite({ ...explicit, raw: Buffer.from([0x24]) } as Tlv, Buffer.concat([
    derTlv(0x04, octets.subarray(0, half)),
    derTlv(0x04, octets.subarray(half)),
  ]));
  const content = indefinite(explicit, segmented);
  const info = indefinite(authSafe, Buffer.concat([type.raw, content]));
  return indefinite(pfx, Buffer.concat([version.raw, info, mac.raw]));
}

test('a pfx in BER (indefinite lengths, segmented OCTET STRING) loads', (t) => {
  const der = exportPfx('ber.p12', '-passout', 'pass:s3cret');
  const ber = toBer(der);
  t.throws(() => parseDer(ber));
  const identity = loadPfx(ber, 's3cret');
  t.deepEqual(identity.chain.map((c) => c.subjectText), ['CN=pfx.test', 'CN=PFX ICA', 'CN=PFX Root']);
  t.is(berToDer(ber).length, der.length);
});
