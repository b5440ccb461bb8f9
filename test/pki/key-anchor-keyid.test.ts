// Three rules of path validation, each with a failing and a passing case: RSA key size and
// malformed moduli, basicConstraints on trust anchors, and authority / subject key identifiers.

import test from 'ava';
import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { verifyCertificateChain, type VerifyResult } from '../../lib/pki/chain';
import { children, parseDer } from '../../lib/pki/der';
import { resetDefaultTrustStore } from '../../lib/pki/trust-store';
import {
  derTlv,
  type Issued,
  makeCa,
  makeCertificate,
  makeLeaf,
} from '../helpers/cert-factory';

function failure(t: { fail(m: string): void }, result: VerifyResult) {
  if (result.ok) {
    t.fail(`expected a failure, got a chain of ${result.chain.length}`);
    throw new Error('unreachable');
  }
  return result;
}

function chainNames(result: VerifyResult): string[] {
  return result.ok ? result.chain.map((c) => c.subjectText) : [`${result.code}: ${result.reason}`];
}

const root = makeCa({ commonName: 'Key Rules Root' });

// ---- 1. RSA keys: size, bit length, even modulus ----

test('RSA: a leaf with a 1024-bit key is refused with EE_KEY_TOO_SMALL', (t) => {
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
  const result = failure(t, verifyCertificateChain({
    leaf: makeLeaf({ issuer: root, key: weak }).certPem,
    trusted: [root.certPem],
    name: 'localhost',
    purpose: 'server',
  }));
  t.is(result.code, 'EE_KEY_TOO_SMALL');
  t.is(result.alert, 'unsupported_certificate');
  t.regex(result.reason, /1024-bit RSA key, under the 2048 bits required/);
});

test('RSA: a leaf with a 2048-bit key passes', (t) => {
  const rsa = makeLeaf({ issuer: root, keyType: 'rsa-2048' });
  t.is(rsa.certificate.keyBits, 2048);
  const result = verifyCertificateChain({
    leaf: rsa.certPem, trusted: [root.certPem], name: 'localhost', purpose: 'server',
  });
  t.true(result.ok, chainNames(result).join());
});

test('RSA: an intermediate with a 1024-bit key is refused with CA_KEY_TOO_SMALL', (t) => {
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
  const ica = makeCa({ commonName: 'Weak ICA', issuer: root, key: weak });
  const result = failure(t, verifyCertificateChain({
    leaf: makeLeaf({ issuer: ica }).certPem,
    intermediates: [ica.certPem],
    trusted: [root.certPem],
  }));
  t.is(result.code, 'CA_KEY_TOO_SMALL');
  t.regex(result.reason, /^intermediate CN=Weak ICA has a 1024-bit RSA key/);
});

test('RSA: a modulus that is not a whole number of bytes (2052 bits) is refused', (t) => {
  const odd = generateKeyPairSync('rsa', { modulusLength: 2052 }).privateKey;
  const leaf = makeLeaf({ issuer: root, key: odd });
  t.is(leaf.certificate.keyBits, 2052);
  const result = failure(
    t,
    verifyCertificateChain({ leaf: leaf.certPem, trusted: [root.certPem] }),
  );
  t.is(result.code, 'EE_KEY_TOO_SMALL');
  t.regex(result.reason, /2052-bit RSA key, not a multiple of 8 bits/);
});

test('RSA: a 2056-bit modulus, a whole number of bytes, passes', (t) => {
  const key = generateKeyPairSync('rsa', { modulusLength: 2056 }).privateKey;
  const leaf = makeLeaf({ issuer: root, key });
  t.is(leaf.certificate.keyBits, 2056);
  t.true(verifyCertificateChain({ leaf: leaf.certPem, trusted: [root.certPem] }).ok);
});

/** DER of a positive INTEGER from big-endian magnitude bytes. */
function derUint(magnitude: Buffer): Buffer {
  let bytes = magnitude;
  while (bytes.length > 1 && bytes[0] === 0) bytes = bytes.subarray(1);
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return derTlv(0x02, bytes);
}

/** An rsaEncryption SubjectPublicKeyInfo for the given modulus and exponent. */
function rsaSpki(modulus: Buffer, exponent: Buffer): Buffer {
  const rsaPublicKey = derTlv(0x30, Buffer.concat([derUint(modulus), derUint(exponent)]));
  // AlgorithmIdentifier { rsaEncryption, NULL }
  const algorithm = Buffer.from('300d06092a864886f70d0101010500', 'hex');
  const bitString = derTlv(0x03, Buffer.concat([Buffer.from([0]), rsaPublicKey]));
  return derTlv(0x30, Buffer.concat([algorithm, bitString]));
}

/**
 * `template` with its SubjectPublicKeyInfo replaced by `spki`, signed again by `issuer` (an
 * ECDSA P-256 key with SHA-256, as the template was), so that the signature is valid.
 */
function withSpki(template: Issued, issuer: Issued, spki: Buffer): Buffer {
  const [tbs, signatureAlgorithm] = children(parseDer(template.certDer));
  const fields = children(tbs).map((f) => f.raw);
  // version, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, ...
  fields[6] = spki;
  const newTbs = derTlv(0x30, Buffer.concat(fields));
  const signature = sign('sha256', newTbs, issuer.key);
  const bits = derTlv(0x03, Buffer.concat([Buffer.from([0]), signature]));
  return derTlv(0x30, Buffer.concat([newTbs, signatureAlgorithm.raw, bits]));
}

function rsaModulus(): { n: Buffer; e: Buffer } {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  return { n: Buffer.from(jwk.n!, 'base64url'), e: Buffer.from(jwk.e!, 'base64url') };
}

test('RSA: a crafted SubjectPublicKeyInfo with the real (odd) modulus verifies', (t) => {
  const { n, e } = rsaModulus();
  const template = makeLeaf({ issuer: root, keyType: 'rsa-2048' });
  const der = withSpki(template, root, rsaSpki(n, e));
  const result = verifyCertificateChain({
    leaf: der, trusted: [root.certPem], name: 'localhost', purpose: 'server',
  });
  t.true(result.ok, chainNames(result).join());
});

test('RSA: a leaf whose modulus is even is refused, though its signature is valid', (t) => {
  const { n, e } = rsaModulus();
  const even = Buffer.from(n);
  even[even.length - 1] &= 0xfe;
  const template = makeLeaf({ issuer: root, keyType: 'rsa-2048' });
  const der = withSpki(template, root, rsaSpki(even, e));
  // The issuer's signature over the altered TBSCertificate is sound.
  const [tbs, , signatureValue] = children(parseDer(der));
  t.true(verify('sha256', tbs.raw, createPublicKey(root.key), signatureValue.value.subarray(1)));
  const result = failure(t, verifyCertificateChain({
    leaf: der, trusted: [root.certPem], name: 'localhost', purpose: 'server',
  }));
  t.is(result.code, 'ERR_TLS13_INVALID_CERTIFICATE');
  t.is(result.alert, 'bad_certificate');
  t.regex(result.reason, /^leaf certificate cannot be used: .*RSA modulus is even/);
});

test('RSA: an intermediate whose modulus is even is never used as an issuer', (t) => {
  const { n, e } = rsaModulus();
  n[n.length - 1] &= 0xfe;
  const template = makeCa({ commonName: 'Even ICA', issuer: root, keyType: 'rsa-2048' });
  const evenIca = withSpki(template, root, rsaSpki(n, e));
  // The leaf names Even ICA as its issuer; the sender's intermediate cannot be parsed.
  const leaf = makeLeaf({ issuer: template });
  const result = failure(t, verifyCertificateChain({
    leaf: leaf.certPem, intermediates: [evenIca], trusted: [root.certPem],
  }));
  t.is(result.code, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  t.regex(result.reason, /^issuer CN=Even ICA of leaf CN=localhost is not among/);
});

// ---- 2. basicConstraints on trust anchors given by the caller ----

test('anchor: a trusted root without basicConstraints is refused with INVALID_CA', (t) => {
  const bare = makeCa({ commonName: 'Bare Root', basicConstraints: false, keyUsage: false });
  t.false(bare.certificate.isCA);
  const result = failure(t, verifyCertificateChain({
    leaf: makeLeaf({ issuer: bare }).certPem, trusted: [bare.certPem],
  }));
  t.is(result.code, 'INVALID_CA');
  t.is(result.alert, 'unknown_ca');
  t.is(result.reason, 'trust anchor CN=Bare Root is not a CA (no basicConstraints cA TRUE)');
});

test('anchor: a trusted root without basicConstraints but with keyCertSign is refused', (t) => {
  const bare = makeCa({ commonName: 'Bare KU Root', basicConstraints: false });
  const result = failure(t, verifyCertificateChain({
    leaf: makeLeaf({ issuer: bare }).certPem, trusted: [bare.certPem],
  }));
  t.is(result.code, 'INVALID_EXTENSION');
  t.regex(
    result.reason,
    /^trust anchor CN=Bare KU Root asserts keyCertSign without basicConstraints cA/,
  );
});

test('anchor: a trusted root with basicConstraints cA FALSE is refused with INVALID_CA', (t) => {
  const notCa = makeCertificate({
    commonName: 'Not A CA Root', isCA: false, basicConstraints: true, keyUsage: false,
  });
  t.false(notCa.certificate.isCA);
  const result = failure(t, verifyCertificateChain({
    leaf: makeLeaf({ issuer: notCa }).certPem, trusted: [notCa.certPem],
  }));
  t.is(result.code, 'INVALID_CA');
  t.regex(result.reason, /^trust anchor CN=Not A CA Root is not a CA/);
});

test('anchor: a trusted root with a non-critical basicConstraints is refused with INVALID_CA', (t) => {
  const lax = makeCa({ commonName: 'Lax Root', basicConstraintsCritical: false });
  const result = failure(t, verifyCertificateChain({
    leaf: makeLeaf({ issuer: lax }).certPem, trusted: [lax.certPem],
  }));
  t.is(result.code, 'INVALID_CA');
  t.regex(result.reason, /^trust anchor CN=Lax Root has a non-critical basicConstraints/);
});

test('anchor: a trusted root with a critical basicConstraints cA TRUE is accepted', (t) => {
  const good = makeCa({ commonName: 'Good Root' });
  const result = verifyCertificateChain({
    leaf: makeLeaf({ issuer: good }).certPem, trusted: [good.certPem], purpose: 'server',
  });
  t.deepEqual(chainNames(result), ['CN=localhost', 'CN=Good Root']);
});

test('anchor: a pinned self-signed leaf without basicConstraints is accepted as its own path', (t) => {
  const pinned = makeLeaf({ commonName: 'pinned.test', dns: ['pinned.test'] });
  t.false(pinned.certificate.extensions.has('2.5.29.19'));
  const result = verifyCertificateChain({
    leaf: pinned.certPem, trusted: [pinned.certPem], name: 'pinned.test', purpose: 'server',
  });
  t.deepEqual(chainNames(result), ['CN=pinned.test']);
});

test.serial('anchor: the default store (vetted) accepts a root whose basicConstraints is not critical', (t) => {
  const lax = makeCa({ commonName: 'Vetted Lax Root', basicConstraintsCritical: false });
  const dir = mkdtempSync(join(tmpdir(), 'tls13-anchor-'));
  const saved = process.env.NODE_EXTRA_CA_CERTS;
  try {
    const file = join(dir, 'extra.pem');
    writeFileSync(file, lax.certPem);
    process.env.NODE_EXTRA_CA_CERTS = file;
    resetDefaultTrustStore();
    const leaf = makeLeaf({ issuer: lax }).certPem;
    const result = verifyCertificateChain({ leaf });
    t.deepEqual(chainNames(result), ['CN=localhost', 'CN=Vetted Lax Root']);
    // The same root passed by the caller is held to the root profile.
    t.is(failure(t, verifyCertificateChain({ leaf, trusted: [lax.certPem] })).code, 'INVALID_CA');
  } finally {
    if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = saved;
    resetDefaultTrustStore();
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- 3. Authority and subject key identifiers ----

/** An authorityKeyIdentifier extension value with only a keyIdentifier. */
function akiExtension(keyId: Buffer) {
  return { oid: '2.5.29.35', value: derTlv(0x30, derTlv(0x80, keyId)) };
}

test('key ids: two anchors of one name; the one whose SKI matches the AKI is chosen', (t) => {
  const wrong = makeCa({ commonName: 'Twin Root' });
  const right = makeCa({ commonName: 'Twin Root' });
  const ica = makeCa({ commonName: 'Twin ICA', issuer: right });
  t.false(ica.certificate.authorityKeyIdentifier!.keyIdentifier!
    .equals(wrong.certificate.subjectKeyIdentifier!));
  t.true(ica.certificate.authorityKeyIdentifier!.keyIdentifier!
    .equals(right.certificate.subjectKeyIdentifier!));
  const leaf = makeLeaf({ issuer: ica });
  // The mismatching anchor comes first in the list; path building must pass it over.
  const result = verifyCertificateChain({
    leaf: leaf.certPem,
    intermediates: [ica.certPem],
    trusted: [wrong.certPem, right.certPem],
    purpose: 'server',
  });
  t.true(result.ok, chainNames(result).join());
  if (result.ok) t.is(result.chain[2].der.equals(right.certDer), true);
});

test('key ids: with only the mismatching anchor of that name, the path fails', (t) => {
  const wrong = makeCa({ commonName: 'Twin Root' });
  const right = makeCa({ commonName: 'Twin Root' });
  const ica = makeCa({ commonName: 'Twin ICA', issuer: right });
  const result = failure(t, verifyCertificateChain({
    leaf: makeLeaf({ issuer: ica }).certPem,
    intermediates: [ica.certPem],
    trusted: [wrong.certPem],
  }));
  t.is(result.code, 'CERT_SIGNATURE_FAILURE');
  t.regex(
    result.reason,
    /^the signature on intermediate CN=Twin ICA does not verify with the key of CN=Twin Root/,
  );
});

test('key ids: a leaf whose AKI names a key no candidate has fails (CERT_SIGNATURE_FAILURE)', (t) => {
  const sent = makeCa({ commonName: 'Shared ICA', issuer: root });
  const absent = makeCa({ commonName: 'Shared ICA', issuer: root });
  // Signed by the absent key, and its AKI says so; only the other "Shared ICA" is sent.
  const leaf = makeLeaf({ issuer: absent });
  t.false(leaf.certificate.authorityKeyIdentifier!.keyIdentifier!
    .equals(sent.certificate.subjectKeyIdentifier!));
  const result = failure(t, verifyCertificateChain({
    leaf: leaf.certPem, intermediates: [sent.certPem], trusted: [root.certPem],
  }));
  t.is(result.code, 'CERT_SIGNATURE_FAILURE');
  t.regex(
    result.reason,
    /^the signature on leaf CN=localhost does not verify with the key of CN=Shared ICA/,
  );
  // The issuer that the AKI names, once sent, completes the path.
  const fixed = verifyCertificateChain({
    leaf: leaf.certPem, intermediates: [sent.certPem, absent.certPem], trusted: [root.certPem],
  });
  t.true(fixed.ok, chainNames(fixed).join());
});

test('key ids: a leaf whose AKI names an unknown key and no issuer of its name: UNABLE_TO_GET_ISSUER_CERT_LOCALLY', (t) => {
  const absent = makeCa({ commonName: 'Missing ICA', issuer: root });
  const leaf = makeLeaf({
    issuer: absent, omitAuthorityKeyId: true, extensions: [akiExtension(randomBytes(20))],
  });
  const result = failure(
    t,
    verifyCertificateChain({ leaf: leaf.certPem, trusted: [root.certPem] }),
  );
  t.is(result.code, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  t.is(result.alert, 'unknown_ca');
  t.regex(result.reason, /^issuer CN=Missing ICA of leaf CN=localhost is not among the 1 trusted/);
});

test('key ids: accepted: an AKI naming some other key does not refuse a leaf whose signature verifies', (t) => {
  // The AKI only guides path building (RFC 5280, Section 4.2.1.1); the signature decides.
  const leaf = makeLeaf({
    issuer: root, omitAuthorityKeyId: true, extensions: [akiExtension(randomBytes(20))],
  });
  const result = verifyCertificateChain({ leaf: leaf.certPem, trusted: [root.certPem] });
  t.true(result.ok, chainNames(result).join());
});

test('key ids: an intermediate without a subjectKeyIdentifier is refused with INVALID_EXTENSION', (t) => {
  const ica = makeCa({ commonName: 'No SKI ICA', issuer: root, omitSubjectKeyId: true });
  t.is(ica.certificate.subjectKeyIdentifier, undefined);
  const result = failure(t, verifyCertificateChain({
    leaf: makeLeaf({ issuer: ica }).certPem, intermediates: [ica.certPem], trusted: [root.certPem],
  }));
  t.is(result.code, 'INVALID_EXTENSION');
  t.is(
    result.reason,
    'intermediate CN=No SKI ICA has no subjectKeyIdentifier, which a CA must have',
  );
});

test('key ids: an intermediate with its subjectKeyIdentifier passes', (t) => {
  const ica = makeCa({ commonName: 'SKI ICA', issuer: root });
  const result = verifyCertificateChain({
    leaf: makeLeaf({ issuer: ica }).certPem, intermediates: [ica.certPem], trusted: [root.certPem],
  });
  t.deepEqual(chainNames(result), ['CN=localhost', 'CN=SKI ICA', 'CN=Key Rules Root']);
});

test('key ids: an intermediate without an authorityKeyIdentifier is refused with INVALID_EXTENSION', (t) => {
  const ica = makeCa({ commonName: 'No AKI ICA', issuer: root, omitAuthorityKeyId: true });
  const result = failure(t, verifyCertificateChain({
    leaf: makeLeaf({ issuer: ica }).certPem, intermediates: [ica.certPem], trusted: [root.certPem],
  }));
  t.is(result.code, 'INVALID_EXTENSION');
  t.regex(result.reason, /^intermediate CN=No AKI ICA has no authorityKeyIdentifier/);
});

test('key ids: accepted: a trust anchor (root CA) without a subjectKeyIdentifier', (t) => {
  // The Baseline Requirements ask roots for an SKI, but an anchor is trusted for its name and
  // key; the lib, like the Web PKI verifiers, does not refuse an anchor for lacking one.
  const noSki = makeCa({ commonName: 'No SKI Root', omitSubjectKeyId: true });
  t.is(noSki.certificate.subjectKeyIdentifier, undefined);
  const result = verifyCertificateChain({
    leaf: makeLeaf({ issuer: noSki }).certPem, trusted: [noSki.certPem], purpose: 'server',
  });
  t.deepEqual(chainNames(result), ['CN=localhost', 'CN=No SKI Root']);
});

test('key ids: a root whose AKI differs from its own SKI is refused as an anchor', (t) => {
  const odd = makeCa({ commonName: 'Odd AKI Root', extensions: [akiExtension(randomBytes(20))] });
  const result = failure(t, verifyCertificateChain({
    leaf: makeLeaf({ issuer: odd }).certPem, trusted: [odd.certPem],
  }));
  t.is(result.code, 'INVALID_EXTENSION');
  t.regex(
    result.reason,
    /is a root whose authorityKeyIdentifier differs from its subjectKeyIdentifier/,
  );
});

test('key ids: accepted: a leaf without a subjectKeyIdentifier', (t) => {
  const leaf = makeLeaf({ issuer: root, omitSubjectKeyId: true });
  t.true(verifyCertificateChain({ leaf: leaf.certPem, trusted: [root.certPem] }).ok);
});
