// The node:crypto provider: HKDF against node's own HKDF, AEAD failure handling, key shares for
// every group (and the shares it must refuse), and signatures for every handshake scheme.

import test from 'ava';
import * as crypto from 'node:crypto';
import { GROUPS, groupByName } from '../../lib/crypto/groups';
import { NodeCryptoProvider } from '../../lib/crypto/node-provider';
import { schemeByName } from '../../lib/crypto/schemes';
import type { HashName } from '../../lib/crypto/suites';

const provider = new NodeCryptoProvider();

test("hkdfExtract then hkdfExpand equal node's HKDF, for one block and many", (t) => {
  for (const hash of ['sha256', 'sha384'] as HashName[]) {
    const salt = crypto.randomBytes(20);
    const ikm = crypto.randomBytes(40);
    const info = Buffer.from('some info');
    const prk = provider.hkdfExtract(hash, salt, ikm);
    t.is(prk.length, hash === 'sha256' ? 32 : 48);
    for (const length of [1, 12, 16, 32, 33, 48, 64, 100, 255]) {
      const ours = provider.hkdfExpand(hash, prk, info, length);
      const theirs = Buffer.from(crypto.hkdfSync(hash, ikm, salt, info, length));
      t.is(ours.toString('hex'), theirs.toString('hex'), `${hash}, ${length} bytes`);
    }
  }
});

test('hash, transcript and hmac agree with node:crypto', (t) => {
  const data = Buffer.from('abc');
  t.is(
    provider.hash('sha256', data).toString('hex'),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
  );
  const running = provider.transcript('sha384');
  running.update(Buffer.from('a'));
  const first = running.digest();
  running.update(Buffer.from('bc'));
  t.is(first.toString('hex'), crypto.createHash('sha384').update('a').digest('hex'));
  t.is(running.digest().toString('hex'), crypto.createHash('sha384').update('abc').digest('hex'));
  // Reading the digest does not end the hash.
  t.is(running.digest().toString('hex'), crypto.createHash('sha384').update('abc').digest('hex'));
  t.is(
    provider.hmac('sha256', Buffer.from('key'), data).toString('hex'),
    crypto.createHmac('sha256', 'key').update(data).digest('hex')
  );
});

test('AEAD: every algorithm seals and opens; a wrong tag, nonce or aad gives undefined', (t) => {
  for (const [name, keyLength] of [
    ['aes-128-gcm', 16],
    ['aes-256-gcm', 32],
    ['chacha20-poly1305', 32],
  ] as const) {
    const aead = provider.aead(name, crypto.randomBytes(keyLength));
    const nonce = crypto.randomBytes(12);
    const aad = Buffer.from('header');
    const { ciphertext, tag } = aead.seal(nonce, aad, [
      Buffer.from('hello '),
      Buffer.from('world'),
    ]);
    t.is(tag.length, 16);
    const body = Buffer.concat(ciphertext);
    t.is(aead.open(nonce, aad, [body], tag)?.toString(), 'hello world', name);
    t.is(
      aead.open(nonce, aad, [body.subarray(0, 3), body.subarray(3)], tag)?.toString(),
      'hello world'
    );
    const badTag = Buffer.from(tag);
    badTag[0] ^= 1;
    t.is(aead.open(nonce, aad, [body], badTag), undefined, `${name}: tag`);
    t.is(aead.open(crypto.randomBytes(12), aad, [body], tag), undefined, `${name}: nonce`);
    t.is(aead.open(nonce, Buffer.from('other'), [body], tag), undefined, `${name}: aad`);
  }
});

for (const group of GROUPS) {
  test(`key share ${group.name}: both sides derive the same secret`, (t) => {
    const a = provider.generateKeyShare(group);
    const b = provider.generateKeyShare(group);
    t.is(a.publicKey.length, group.shareLength);
    const secret = a.deriveSecret(b.publicKey);
    t.true(secret.equals(b.deriveSecret(a.publicKey)));
    t.true(secret.length >= 32);
  });

  test(`key share ${group.name}: a share of the wrong length is refused`, (t) => {
    const a = provider.generateKeyShare(group);
    t.throws(() => a.deriveSecret(Buffer.alloc(group.shareLength - 1, 4)));
    t.throws(() => a.deriveSecret(Buffer.alloc(group.shareLength + 1, 4)));
  });
}

test('x25519: a low-order point, giving an all-zero secret, is refused', (t) => {
  const share = provider.generateKeyShare(
    groupByName('x25519') as NonNullable<ReturnType<typeof groupByName>>
  );
  // The point 0 and the point 1 are of small order: every private key gives a zero secret.
  t.throws(() => share.deriveSecret(Buffer.alloc(32)));
  t.throws(() => share.deriveSecret(Buffer.concat([Buffer.of(1), Buffer.alloc(31)])));
});

test('P-256: a compressed point or a point off the curve is refused', (t) => {
  const group = groupByName('secp256r1') as NonNullable<ReturnType<typeof groupByName>>;
  const share = provider.generateKeyShare(group);
  const other = provider.generateKeyShare(group).publicKey;
  const compressed = Buffer.from(other);
  compressed[0] = 2;
  t.throws(() => share.deriveSecret(compressed));
  const offCurve = Buffer.from(other);
  offCurve[64] ^= 1;
  t.throws(() => share.deriveSecret(offCurve));
});

const KEYS: Array<[string, () => crypto.KeyPairKeyObjectResult]> = [
  ['ecdsa_secp256r1_sha256', () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })],
  ['ecdsa_secp384r1_sha384', () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' })],
  ['ecdsa_secp521r1_sha512', () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-521' })],
  ['ed25519', () => crypto.generateKeyPairSync('ed25519')],
  ['ed448', () => crypto.generateKeyPairSync('ed448')],
  ['rsa_pss_rsae_sha256', () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ['rsa_pss_rsae_sha384', () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ['rsa_pss_rsae_sha512', () => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ['rsa_pss_pss_sha256', () => crypto.generateKeyPairSync('rsa-pss', { modulusLength: 2048 })],
];

for (const [name, generate] of KEYS) {
  test(`sign and verify with ${name}; a changed message or signature fails`, (t) => {
    const scheme = schemeByName(name);
    if (!scheme) return t.fail(`no scheme ${name}`);
    const { privateKey, publicKey } = generate();
    const data = Buffer.from('content to sign');
    const signature = provider.sign(scheme, privateKey, data);
    t.true(provider.verify(scheme, publicKey, data, signature));
    t.false(provider.verify(scheme, publicKey, Buffer.from('content to sigN'), signature));
    const bad = Buffer.from(signature);
    bad[bad.length - 1] ^= 1;
    t.false(provider.verify(scheme, publicKey, data, bad));
    // verify never throws, even on garbage.
    t.false(provider.verify(scheme, publicKey, data, Buffer.alloc(3)));
  });
}

test('RSA-PSS signatures use a salt as long as the hash (RFC 8446, Section 4.2.3)', (t) => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = Buffer.from('salted');
  for (const [name, saltLength] of [
    ['rsa_pss_rsae_sha256', 32],
    ['rsa_pss_rsae_sha384', 48],
    ['rsa_pss_rsae_sha512', 64],
  ] as const) {
    const scheme = schemeByName(name);
    if (!scheme) return t.fail(`no scheme ${name}`);
    const signature = provider.sign(scheme, privateKey, data);
    t.true(
      crypto.verify(
        scheme.hash as string,
        data,
        { key: publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength },
        signature
      ),
      name
    );
  }
});

test('equal compares length and bytes', (t) => {
  t.true(provider.equal(Buffer.from('abc'), Buffer.from('abc')));
  t.false(provider.equal(Buffer.from('abc'), Buffer.from('abd')));
  t.false(provider.equal(Buffer.from('abc'), Buffer.from('ab')));
  t.true(provider.equal(Buffer.alloc(0), Buffer.alloc(0)));
});

test('random returns the length asked, and different bytes each time', (t) => {
  t.is(provider.random(32).length, 32);
  t.not(provider.random(32).toString('hex'), provider.random(32).toString('hex'));
});
