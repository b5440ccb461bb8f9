// The committed demo PKI in certs/: every identity loads, matches its key and verifies.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { verifyCertificateChain } from '../../lib/pki/chain';
import { loadIdentity } from '../../lib/pki/keys';

const certs = join(__dirname, '..', '..', 'certs');
const read = (name: string) => readFileSync(join(certs, name));
const YEAR = 365 * 86400_000;

const identities: Array<[string, 'server' | 'client', string, string]> = [
  ['server', 'server', 'ec', 'PKCS#8'],
  ['server-rsa', 'server', 'rsa', 'PKCS#8'],
  ['server-rsa-pss', 'server', 'rsa-pss', 'PKCS#8'],
  ['server-ed25519', 'server', 'ed25519', 'PKCS#8'],
  ['server-ed448', 'server', 'ed448', 'PKCS#8'],
  ['client-ecdsa', 'client', 'ec', 'SEC1'],
  ['client-rsa', 'client', 'rsa', 'PKCS#1'],
  ['client-ed25519', 'client', 'ed25519', 'PKCS#8'],
];

for (const [name, purpose, kind, format] of identities) {
  test(`${name}: ${kind} key in ${format}, chain verifies for ${purpose}`, (t) => {
    const identity = loadIdentity({ cert: read(`${name}.pem`), key: read(`${name}-key.pem`) });
    t.is(identity.key.kind as string, kind);
    t.is(identity.key.format, format);
    t.is(identity.chain.length, 2);
    const [leaf, intermediate] = identity.chain;
    t.is(intermediate.subjectText, 'CN=tls13 Demo Intermediate CA, O=tls13');
    t.true(leaf.notAfter.getTime() - Date.now() > 19 * YEAR);
    const result = verifyCertificateChain({
      leaf,
      intermediates: [intermediate],
      trusted: [read('ca.pem')],
      purpose,
      name: purpose === 'server' ? 'localhost' : undefined,
    });
    t.true(result.ok, result.ok ? '' : result.reason);
    if (purpose === 'server') {
      for (const name of ['127.0.0.1', '::1']) {
        t.true(verifyCertificateChain({
          leaf,
          intermediates: [intermediate],
          trusted: [read('ca.pem')],
          name,
        }).ok);
      }
    }
  });
}

test('the client certificates name themselves as the demo says', (t) => {
  const subject = (name: string) => loadIdentity({
    cert: read(`${name}.pem`),
    key: read(`${name}-key.pem`),
  }).chain[0].subjectText;
  t.is(subject('client-ecdsa'), 'CN=tls13 Demo Client (ECDSA), O=tls13');
  t.is(subject('client-rsa'), 'CN=tls13 Demo Client (RSA), O=tls13');
});

test('the untrusted client is rejected as unknown, the expired one as expired', (t) => {
  const untrusted = verifyCertificateChain({
    leaf: read('untrusted-client.pem'),
    trusted: [read('ca.pem')],
    purpose: 'client',
  });
  t.false(untrusted.ok);
  if (!untrusted.ok) t.is(untrusted.code, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  const trustedByOther = verifyCertificateChain({
    leaf: read('untrusted-client.pem'),
    trusted: [read('other-ca.pem')],
    purpose: 'client',
  });
  t.true(trustedByOther.ok);
  const expired = verifyCertificateChain({
    leaf: read('expired-client.pem'),
    trusted: [read('ca.pem')],
    purpose: 'client',
  });
  t.false(expired.ok);
  if (!expired.ok) {
    t.is(expired.code, 'CERT_HAS_EXPIRED');
    t.regex(
      expired.reason,
      /^leaf CN=tls13 Expired Demo Client, O=tls13 expired \d+ days ago \(notAfter 2021-01-01T00:00:00Z\)$/,
    );
  }
  t.true(loadIdentity({
    cert: read('expired-client.pem'),
    key: read('expired-client-key.pem'),
  }).key.kind === 'ec');
});
