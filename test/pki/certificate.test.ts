import test from 'ava';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { DecodeError, TlsConfigError } from '../../lib/errors';
import {
  Certificate,
  loadCertificates,
  parseCertificate,
  readCertificateFile,
} from '../../lib/pki/certificate';
import { derTlv, makeCa, makeLeaf } from '../helpers/cert-factory';

const certs = join(__dirname, '..', '..', 'certs');

test('the demo root parses into the fields the handshake uses', (t) => {
  const [root] = readCertificateFile(join(certs, 'ca.pem'));
  t.is(root.subjectText, 'CN=tls13 Demo Root CA, O=tls13');
  t.is(root.issuerText, root.subjectText);
  t.true(root.isCA);
  t.true(root.isSelfSigned);
  t.is(root.keyKind, 'ec');
  t.is(root.namedCurve, 'P-256');
  t.is(root.signatureAlgorithm, 'ecdsa_secp256r1_sha256');
  t.is(root.version, 3);
  const x509 = new X509Certificate(root.der);
  t.is(root.fingerprint256, x509.fingerprint256);
  t.is(root.notAfter.getTime(), new Date(x509.validTo).getTime());
  t.true(root.notAfter.getTime() - root.notBefore.getTime() > 19 * 365 * 86400_000);
});

test('a chain file gives leaf then intermediate, with SANs, and the leaf is issued by it', (t) => {
  const [leaf, intermediate] = readCertificateFile(join(certs, 'server.pem'));
  t.deepEqual(leaf.dnsNames, ['localhost']);
  t.deepEqual(leaf.ipAddresses, ['127.0.0.1', '::1']);
  t.deepEqual(leaf.extKeyUsage, ['1.3.6.1.5.5.7.3.1']);
  t.deepEqual([...(leaf.keyUsage ?? [])], ['digitalSignature']);
  t.false(leaf.isCA);
  t.is(intermediate.pathLen, 0);
  t.true(leaf.isIssuedBy(intermediate));
  t.false(intermediate.isIssuedBy(leaf));
  t.deepEqual(leaf.issuer, intermediate.subject);
});

test('RSA, RSA-PSS and EdDSA keys are described', (t) => {
  const first = (name: string) => readCertificateFile(join(certs, name))[0];
  t.is(first('server-rsa.pem').keyKind, 'rsa');
  t.is(first('server-rsa.pem').keyBits, 2048);
  t.is(first('server-rsa-pss.pem').keyKind, 'rsa-pss');
  t.is(first('server-ed25519.pem').keyKind, 'ed25519');
  t.is(first('server-ed448.pem').keyKind, 'ed448');
});

test('signatureAlgorithm names the scheme of the signature on the certificate', (t) => {
  const rsaCa = makeCa({ keyType: 'rsa-2048' });
  t.is(makeLeaf({ issuer: rsaCa }).certificate.signatureAlgorithm, 'rsa_pkcs1_sha256');
  t.is(
    makeLeaf({ issuer: rsaCa, hash: 'sha384' }).certificate.signatureAlgorithm,
    'rsa_pkcs1_sha384',
  );
  t.is(makeCa({ keyType: 'rsa-pss' }).certificate.signatureAlgorithm, 'rsa_pss_pss_sha256');
  t.is(
    makeLeaf({ issuer: makeCa({ keyType: 'ec-p384' }) }).certificate.signatureAlgorithm,
    'ecdsa_secp384r1_sha384',
  );
  t.is(makeLeaf({ issuer: makeCa({ keyType: 'ed448' }) }).certificate.signatureAlgorithm, 'ed448');
});

test('signatureSchemeWith names rsa_pss_pss when the issuer key is RSASSA-PSS', (t) => {
  const pssCa = makeCa({ keyType: 'rsa-pss' });
  const leaf = makeLeaf({ issuer: pssCa });
  t.is(leaf.certificate.signatureAlgorithm, 'rsa_pss_rsae_sha256');
  t.is(leaf.certificate.signatureSchemeWith(pssCa.certificate), 'rsa_pss_pss_sha256');
  const ecCa = makeCa();
  t.is(
    makeLeaf({ issuer: ecCa }).certificate.signatureSchemeWith(ecCa.certificate),
    'ecdsa_secp256r1_sha256',
  );
});

test('toLegacyObject gives the getPeerCertificate() shape', (t) => {
  const leaf = makeLeaf({ commonName: 'shape.test', dns: ['shape.test'] });
  const legacy = leaf.certificate.toLegacyObject() as Record<string, unknown>;
  t.deepEqual(legacy.subject, { CN: 'shape.test' });
  t.is(legacy.subjectaltname, 'DNS:shape.test');
  t.is(legacy.fingerprint256, leaf.certificate.fingerprint256);
});

test('parseCertificate returns the cached object for the same bytes', (t) => {
  const leaf = makeLeaf();
  t.is(parseCertificate(Buffer.from(leaf.certDer)), leaf.certificate);
  t.is(loadCertificates(leaf.certPem)[0], leaf.certificate);
});

test('loadCertificates reads several blocks, DER, and arrays; refuses a path-like string', (t) => {
  const a = makeLeaf();
  const b = makeCa();
  const text = `comment\n${a.certPem}\nmore\r\n${b.certPem.replace(/\n/g, '\r\n')}`;
  t.deepEqual(
    loadCertificates(text).map((c) => c.subjectText),
    [a.certificate.subjectText, b.certificate.subjectText],
  );
  t.is(loadCertificates([a.certDer, b.certPem]).length, 2);
  const err = t.throws(() => loadCertificates('certs/ca.pem'), { instanceOf: TlsConfigError });
  t.is(err!.message, 'certificate input holds no PEM block');
  t.throws(
    () => loadCertificates(a.keyPem),
    { message: 'certificate input holds only PRIVATE KEY' },
  );
});

test('malformed certificates are refused with a reason', (t) => {
  const good = makeLeaf().certDer;
  const trailing = Buffer.concat([good, Buffer.from([0])]);
  t.throws(
    () => parseCertificate(trailing),
    { instanceOf: DecodeError, message: /trailing bytes/ },
  );
  const longForm = Buffer.concat([
    Buffer.from([0x30, 0x83, 0, good[2], good[3]]),
    good.subarray(4),
  ]);
  t.throws(() => parseCertificate(longForm), { message: /not minimal/ });
  const empty = derTlv(0x30, Buffer.alloc(0));
  t.throws(() => parseCertificate(empty), { message: /not a SEQUENCE of tbsCertificate/ });
});

// The wire carries DER (RFC 8446, Section 4.4.2), and the handshake parses it with these, so
// PEM stays loadCertificates' business; given PEM, they say so instead of a DER detail.
test('parseCertificate and Certificate refuse PEM by name: DER is expected', (t) => {
  const pem = readFileSync(join(certs, 'ca.pem'));
  const expected = {
    instanceOf: TlsConfigError,
    message: 'certificate: PEM given where DER is expected',
  };
  t.is(t.throws(() => parseCertificate(pem), expected)?.code, 'ERR_TLS13_INVALID_CERTIFICATE');
  t.throws(() => parseCertificate(pem.toString() as unknown as Buffer), expected);
  t.throws(() => new Certificate(pem), expected);
  t.throws(() => new Certificate(Buffer.from(`\r\n${pem.toString()}`)), expected);
  t.throws(() => parseCertificate(undefined as unknown as Buffer), {
    instanceOf: TlsConfigError,
    message: 'certificate: DER bytes expected, not undefined',
  });
  t.throws(() => parseCertificate('MIIB' as unknown as Buffer), {
    message: 'certificate: DER bytes expected, not a string',
  });
  t.throws(() => loadCertificates(42 as unknown as Buffer), {
    instanceOf: TlsConfigError,
    message: 'certificate input must be PEM text or DER bytes, not a number',
  });
  const [root] = loadCertificates(pem);
  t.is(parseCertificate(new Uint8Array(root.der) as Buffer).subjectText, root.subjectText);
});

test('a certificate whose inner and outer signature algorithms differ is refused', (t) => {
  const ec = makeCa({ keyType: 'ec-p384' }).certDer;
  // The outer AlgorithmIdentifier is the last one in the file: ecdsa-with-SHA384 to SHA256.
  const at = ec.lastIndexOf(Buffer.from('2a8648ce3d040303', 'hex'));
  const swapped = Buffer.from(ec);
  swapped[at + 7] = 0x02;
  t.throws(() => new Certificate(swapped), { message: /differs from tbsCertificate's/ });
});

test('random corruption of a certificate never crashes: DecodeError or TlsConfigError only', (t) => {
  const sources = [
    makeLeaf().certDer,
    makeCa({ keyType: 'rsa-2048' }).certDer,
    readFileSync(join(certs, 'server-ed448.pem')),
  ];
  const der = sources.map((s) => (s[0] === 0x30 ? s : loadCertificates(s)[0].der));
  let seed = 11;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  let refused = 0;
  for (let i = 0; i < 600; i++) {
    const copy = Buffer.from(der[i % der.length]);
    for (let k = 0; k <= rand(3); k++) copy[rand(copy.length)] = rand(256);
    const cut = rand(4) === 0 ? copy.subarray(0, rand(copy.length)) : copy;
    try {
      new Certificate(cut);
    } catch (err) {
      refused++;
      if (!(err instanceof DecodeError || err instanceof TlsConfigError)) t.fail(`${(err as Error).stack}`);
    }
  }
  t.true(refused > 300);
});

test('keys we cannot use are refused by name', (t) => {
  const limbo = join(__dirname, '..', '..', '..', 'shared', 'x509-limbo', 'limbo.json');
  const cases = JSON.parse(readFileSync(limbo, 'utf8')).testcases as Array<{
    id: string; peer_certificate: string; trusted_certs: string[],
  }>;
  const explicit = cases.find((c) => c.id === 'webpki::explicit-curve')!;
  t.throws(
    () => loadCertificates(explicit.peer_certificate),
    { message: /uses explicit curve parameters/ },
  );
  const dsa = cases.find((c) => c.id === 'webpki::forbidden-dsa-root')!;
  t.throws(() => loadCertificates(dsa.trusted_certs[0]), { message: /DSA keys are not supported/ });
});
