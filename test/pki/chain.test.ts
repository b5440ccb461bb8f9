import test from 'ava';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

import { verifyCertificateChain, type VerifyResult } from '../../lib/pki/chain';
import { children, parseDer } from '../../lib/pki/der';
import { defaultTrustStore } from '../../lib/pki/trust-store';
import { derTlv, makeCa, makeChain, makeLeaf, type Issued } from '../helpers/cert-factory';

const DAY = 86400_000;
const now = Date.now();

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

const { root, intermediate, leaf } = makeChain({ dns: ['server.test'], ip: ['127.0.0.1'] });

test('a valid chain verifies, leaf first and anchor last', (t) => {
  const result = verifyCertificateChain({
    leaf: leaf.certPem,
    intermediates: [intermediate.certDer],
    trusted: [root.certPem],
    name: 'server.test',
    purpose: 'server',
  });
  t.deepEqual(
    chainNames(result),
    ['CN=server.test', 'CN=tls13 test intermediate', 'CN=tls13 test root'],
  );
});

test('intermediates in any order, with extras, and the leaf string carrying its chain', (t) => {
  const stray = makeCa();
  const result = verifyCertificateChain({
    leaf: leaf.certPem + intermediate.certPem,
    intermediates: [stray.certPem, root.certPem, Buffer.from('not a certificate')],
    trusted: [root.certificate],
    name: '127.0.0.1',
  });
  t.deepEqual(
    chainNames(result),
    ['CN=server.test', 'CN=tls13 test intermediate', 'CN=tls13 test root'],
  );
});

test('an expired leaf: CERT_HAS_EXPIRED with certificate_expired and when it expired', (t) => {
  const expired = makeLeaf({
    issuer: root,
    notBefore: new Date(now - 30 * DAY),
    notAfter: new Date(now - 3 * DAY - 60_000),
  });
  const result = failure(
    t,
    verifyCertificateChain({ leaf: expired.certPem, trusted: [root.certPem] }),
  );
  t.is(result.code, 'CERT_HAS_EXPIRED');
  t.is(result.alert, 'certificate_expired');
  t.is(result.certificate, expired.certificate);
  const notAfter = expired.certificate.notAfter.toISOString().replace('.000Z', 'Z');
  t.is(result.reason, `leaf CN=localhost expired 3 days ago (notAfter ${notAfter})`);
});

test('the same leaf verifies at a time inside its validity', (t) => {
  const oldRoot = makeCa({
    notBefore: new Date(now - 100 * DAY),
    notAfter: new Date(now + 100 * DAY),
  });
  const expired = makeLeaf({
    issuer: oldRoot,
    notBefore: new Date(now - 30 * DAY),
    notAfter: new Date(now - 3 * DAY),
  });
  const time = new Date(now - 10 * DAY);
  const result = verifyCertificateChain({
    leaf: expired.certPem,
    trusted: [oldRoot.certPem],
    time,
  });
  t.true(result.ok);
});

test('a leaf not yet valid: CERT_NOT_YET_VALID', (t) => {
  const future = makeLeaf({ issuer: root, notBefore: new Date(now + 2 * 3600_000) });
  const result = failure(
    t,
    verifyCertificateChain({ leaf: future.certPem, trusted: [root.certPem] }),
  );
  t.is(result.code, 'CERT_NOT_YET_VALID');
  t.regex(result.reason, /^leaf CN=localhost is not valid until .*, 2 hours from now$/);
});

test('an expired intermediate is named as such', (t) => {
  const old = makeCa({
    commonName: 'Old ICA',
    issuer: root,
    notBefore: new Date(now - 60 * DAY),
    notAfter: new Date(now - DAY),
  });
  const child = makeLeaf({ issuer: old });
  const result = failure(
    t,
    verifyCertificateChain({
      leaf: child.certPem,
      intermediates: [old.certPem],
      trusted: [root.certPem],
    }),
  );
  t.is(result.code, 'CERT_HAS_EXPIRED');
  t.regex(result.reason, /^intermediate CN=Old ICA expired 1 day ago/);
});

test('an untrusted issuer: UNABLE_TO_GET_ISSUER_CERT_LOCALLY with unknown_ca', (t) => {
  const other = makeCa({ commonName: 'Other CA' });
  const result = failure(t, verifyCertificateChain({
    leaf: makeLeaf({ issuer: other }).certPem,
    trusted: [root.certPem, intermediate.certPem],
  }));
  t.is(result.code, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  t.is(result.alert, 'unknown_ca');
  t.is(result.reason, 'issuer CN=Other CA of leaf CN=localhost is not among the 2 trusted certificates ' +
    'and no intermediate was sent for it');
});

test('the default trust store is used when trusted is absent', (t) => {
  const result = failure(
    t,
    verifyCertificateChain({ leaf: leaf.certPem, intermediates: [intermediate.certPem] }),
  );
  t.is(result.code, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  t.true(result.reason.includes(`among the ${defaultTrustStore().length} trusted certificates`));
});

test('a self-signed leaf: DEPTH_ZERO_SELF_SIGNED_CERT, unless it is trusted itself', (t) => {
  const selfSigned = makeLeaf({ dns: ['pinned.test'] });
  const result = failure(
    t,
    verifyCertificateChain({ leaf: selfSigned.certPem, trusted: [root.certPem] }),
  );
  t.is(result.code, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  const pinned = verifyCertificateChain({
    leaf: selfSigned.certPem,
    trusted: [selfSigned.certDer],
    name: 'pinned.test',
    purpose: 'server',
  });
  t.deepEqual(chainNames(pinned), ['CN=pinned.test']);
});

test('a chain ending in an untrusted root: SELF_SIGNED_CERT_IN_CHAIN', (t) => {
  const otherRoot = makeCa({ commonName: 'Other Root' });
  const otherIca = makeCa({ commonName: 'Other ICA', issuer: otherRoot });
  const other = { root: otherRoot, intermediate: otherIca, leaf: makeLeaf({ issuer: otherIca }) };
  const result = failure(t, verifyCertificateChain({
    leaf: other.leaf.certPem,
    intermediates: [other.intermediate.certPem, other.root.certPem],
    trusted: [root.certPem],
  }));
  t.is(result.code, 'SELF_SIGNED_CERT_IN_CHAIN');
  t.is(result.certificate, other.root.certificate);
});

test('a wrong name: ERR_TLS_CERT_ALTNAME_INVALID after the chain is good', (t) => {
  const result = failure(t, verifyCertificateChain({
    leaf: leaf.certPem, intermediates: [intermediate.certPem], trusted: [root.certPem], name: 'other.test',
  }));
  t.is(result.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  t.is(result.alert, 'bad_certificate');
  t.is(
    result.reason,
    'CN=server.test is not valid for other.test; it names DNS:server.test, IP:127.0.0.1',
  );
});

test('purpose: the leaf extKeyUsage must name it', (t) => {
  const clientOnly = makeLeaf({ issuer: root, eku: ['clientAuth'] });
  const asServer = failure(
    t,
    verifyCertificateChain({
      leaf: clientOnly.certPem,
      trusted: [root.certPem],
      purpose: 'server',
    }),
  );
  t.is(asServer.code, 'INVALID_PURPOSE');
  t.is(asServer.alert, 'unsupported_certificate');
  t.regex(asServer.reason, /is not for server authentication \(extKeyUsage lacks serverAuth\)/);
  t.true(verifyCertificateChain({
    leaf: clientOnly.certPem,
    trusted: [root.certPem],
    purpose: 'client',
  }).ok);
  const any = makeLeaf({ issuer: root, eku: ['any'] });
  t.true(verifyCertificateChain({
    leaf: any.certPem,
    trusted: [root.certPem],
    purpose: 'server',
  }).ok);
});

test('purpose: a leaf without extKeyUsage is refused when a purpose is asked, as in the Web PKI', (t) => {
  const bare = makeLeaf({ issuer: root, eku: false });
  const result = failure(
    t,
    verifyCertificateChain({ leaf: bare.certPem, trusted: [root.certPem], purpose: 'client' }),
  );
  t.is(result.code, 'INVALID_PURPOSE');
  t.true(verifyCertificateChain({ leaf: bare.certPem, trusted: [root.certPem] }).ok);
});

test('purpose: an intermediate limited to clientAuth cannot issue a server certificate', (t) => {
  const clientIca = makeCa({ commonName: 'Client ICA', issuer: root, eku: ['clientAuth'] });
  const server = makeLeaf({ issuer: clientIca, eku: ['serverAuth'] });
  const result = failure(
    t,
    verifyCertificateChain({
      leaf: server.certPem,
      intermediates: [clientIca.certPem],
      trusted: [root.certPem],
      purpose: 'server',
    }),
  );
  t.is(result.code, 'INVALID_PURPOSE');
  t.regex(result.reason, /^intermediate CN=Client ICA may not issue for server authentication/);
});

test('a server leaf whose common name holds an address out of canonical form is refused', (t) => {
  const zeros = makeLeaf({ issuer: root, commonName: '192.168.001.001', ip: ['192.168.1.1'] });
  const result = failure(
    t,
    verifyCertificateChain({
      leaf: zeros.certPem,
      trusted: [root.certPem],
      name: '192.168.1.1',
      purpose: 'server',
    }),
  );
  t.is(result.code, 'ERR_TLS13_INVALID_CERTIFICATE');
  t.is(result.alert, 'bad_certificate');
  t.is(result.reason, 'leaf CN=192.168.001.001 breaks the Baseline Requirements, Section ' +
    '7.1.4.3: its common name holds the address "192.168.001.001", which RFC 3986, Section ' +
    '3.2.2 writes 192.168.1.1');
  // The same certificate written canonically passes, and a client certificate is not held to it.
  const canonical = makeLeaf({ issuer: root, commonName: '192.168.1.1', ip: ['192.168.1.1'] });
  const asServer = { trusted: [root.certPem], name: '192.168.1.1', purpose: 'server' as const };
  t.true(verifyCertificateChain({ leaf: canonical.certPem, ...asServer }).ok);
  const client = makeLeaf({ issuer: root, commonName: '192.168.001.001', eku: ['clientAuth'] });
  const asClient = { trusted: [root.certPem], purpose: 'client' as const };
  t.true(verifyCertificateChain({ leaf: client.certPem, ...asClient }).ok);
});

test('a server leaf whose common name is a Unicode domain is refused; its A-labels pass', (t) => {
  const dns = ['xn--bcher-kva.example'];
  const unicode = makeLeaf({ issuer: root, commonName: 'bücher.example', dns });
  const opts = { trusted: [root.certPem], name: dns[0], purpose: 'server' as const };
  const result = failure(t, verifyCertificateChain({ leaf: unicode.certPem, ...opts }));
  t.is(result.code, 'ERR_TLS13_INVALID_CERTIFICATE');
  t.regex(result.reason, /its common name holds the domain name "bücher\.example" in Unicode, /);
  // Every common name is read, not only the last.
  const two = makeLeaf({ issuer: root, subject: [['CN', 'bücher.example'], ['CN', dns[0]]], dns });
  t.regex(failure(t, verifyCertificateChain({ leaf: two.certPem, ...opts })).reason, /"bücher\.example"/);
  const aLabel = makeLeaf({ issuer: root, commonName: dns[0], dns });
  t.true(verifyCertificateChain({ leaf: aLabel.certPem, ...opts }).ok);
});

test('a leaf key usage without digitalSignature cannot sign a handshake', (t) => {
  const encipherOnly = makeLeaf({ issuer: root, keyUsage: ['keyEncipherment'] });
  const result = failure(
    t,
    verifyCertificateChain({ leaf: encipherOnly.certPem, trusted: [root.certPem] }),
  );
  t.is(result.code, 'INVALID_PURPOSE');
});

test('an issuer without the CA flag: INVALID_CA', (t) => {
  const notCa = makeLeaf({ commonName: 'Not A CA', issuer: root, keyUsage: ['digitalSignature'] });
  const child = makeLeaf({ issuer: notCa });
  const result = failure(
    t,
    verifyCertificateChain({
      leaf: child.certPem,
      intermediates: [notCa.certPem],
      trusted: [root.certPem],
    }),
  );
  t.is(result.code, 'INVALID_CA');
  t.is(result.reason, 'intermediate CN=Not A CA is not a CA (no basicConstraints cA TRUE)');
  t.is(result.certificate, notCa.certificate);
});

test('a CA without keyCertSign in its keyUsage: INVALID_CA', (t) => {
  const ica = makeCa({
    commonName: 'No CertSign',
    issuer: root,
    keyUsage: ['digitalSignature', 'cRLSign'],
  });
  const child = makeLeaf({ issuer: ica });
  const result = failure(
    t,
    verifyCertificateChain({
      leaf: child.certPem,
      intermediates: [ica.certPem],
      trusted: [root.certPem],
    }),
  );
  t.is(result.code, 'INVALID_CA');
  t.regex(result.reason, /keyUsage without keyCertSign/);
});

test('pathLenConstraint: exceeded below a pathLen 0 CA; the leaf does not count', (t) => {
  const ica1 = makeCa({ commonName: 'ICA 1', issuer: root, pathLen: 0 });
  const ica2 = makeCa({ commonName: 'ICA 2', issuer: ica1 });
  const deep = makeLeaf({ issuer: ica2 });
  const result = failure(
    t,
    verifyCertificateChain({
      leaf: deep.certPem,
      intermediates: [ica1.certPem, ica2.certPem],
      trusted: [root.certPem],
    }),
  );
  t.is(result.code, 'PATH_LENGTH_EXCEEDED');
  t.is(
    result.reason,
    'CN=ICA 1 allows 0 intermediates below it (pathLenConstraint) but the path has 1',
  );
  const shallow = makeLeaf({ issuer: ica1 });
  t.true(verifyCertificateChain({
    leaf: shallow.certPem,
    intermediates: [ica1.certPem],
    trusted: [root.certPem],
  }).ok);
});

test('a bad signature: CERT_SIGNATURE_FAILURE naming the certificate', (t) => {
  const forged = makeLeaf({ issuer: intermediate, corruptSignature: true });
  const result = failure(
    t,
    verifyCertificateChain({
      leaf: forged.certPem,
      intermediates: [intermediate.certPem],
      trusted: [root.certPem],
    }),
  );
  t.is(result.code, 'CERT_SIGNATURE_FAILURE');
  t.is(
    result.reason,
    'the signature on leaf CN=localhost does not verify with the key of CN=tls13 test intermediate',
  );
  t.is(result.alert, 'bad_certificate');
});

test('maxDepth bounds the number of intermediates: CERT_CHAIN_TOO_LONG', (t) => {
  const options = {
    leaf: leaf.certPem,
    intermediates: [intermediate.certPem],
    trusted: [root.certPem],
  };
  const result = failure(t, verifyCertificateChain({ ...options, maxDepth: 0 }));
  t.is(result.code, 'CERT_CHAIN_TOO_LONG');
  t.true(verifyCertificateChain({ ...options, maxDepth: 1 }).ok);
});

test('backtracking: an expired intermediate is passed over for a valid one with the same key', (t) => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const expired = makeCa({
    commonName: 'Twin ICA',
    issuer: root,
    key,
    notBefore: new Date(now - 90 * DAY),
    notAfter: new Date(now - DAY),
  });
  const fresh = makeCa({ commonName: 'Twin ICA', issuer: root, key });
  const child = makeLeaf({ issuer: fresh });
  const result = verifyCertificateChain({
    leaf: child.certPem,
    intermediates: [expired.certPem, fresh.certPem],
    trusted: [root.certPem],
  });
  t.true(result.ok);
  if (result.ok) t.is(result.chain[1], fresh.certificate);
});

test('backtracking: a cross-signed intermediate reaches the root that is trusted', (t) => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const oldRoot = makeCa({ commonName: 'Old Root' });
  const viaOld = makeCa({ commonName: 'Cross ICA', issuer: oldRoot, key });
  const viaNew = makeCa({ commonName: 'Cross ICA', issuer: root, key });
  const child = makeLeaf({ issuer: viaNew });
  const result = verifyCertificateChain({
    leaf: child.certPem,
    intermediates: [viaOld.certPem, oldRoot.certPem, viaNew.certPem],
    trusted: [root.certPem],
  });
  t.deepEqual(chainNames(result), ['CN=localhost', 'CN=Cross ICA', 'CN=tls13 test root']);
});

test('an expired anchor with a valid alternative of the same name and key', (t) => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const oldAnchor = makeCa({
    commonName: 'Renewed Root',
    key,
    notBefore: new Date(now - 400 * DAY),
    notAfter: new Date(now - DAY),
  });
  const newAnchor = makeCa({ commonName: 'Renewed Root', key });
  const child = makeLeaf({ issuer: newAnchor });
  const result = verifyCertificateChain({
    leaf: child.certPem,
    trusted: [oldAnchor.certPem, newAnchor.certPem],
  });
  t.true(result.ok);
  if (result.ok) t.is(result.chain[1], newAnchor.certificate);
  const only = failure(
    t,
    verifyCertificateChain({ leaf: child.certPem, trusted: [oldAnchor.certPem] }),
  );
  t.is(only.code, 'CERT_HAS_EXPIRED');
  t.regex(only.reason, /^trust anchor CN=Renewed Root expired/);
});

test('an unknown critical extension: UNHANDLED_CRITICAL_EXTENSION; non-critical is ignored', (t) => {
  const value = Buffer.from([0x05, 0x00]);
  const critical = makeLeaf({
    issuer: root,
    extensions: [{ oid: '1.3.6.1.4.1.99999.1', critical: true, value }],
  });
  const result = failure(
    t,
    verifyCertificateChain({ leaf: critical.certPem, trusted: [root.certPem] }),
  );
  t.is(result.code, 'UNHANDLED_CRITICAL_EXTENSION');
  t.is(
    result.reason,
    'leaf CN=localhost has critical extension 1.3.6.1.4.1.99999.1, which we do not process',
  );
  const plain = makeLeaf({ issuer: root, extensions: [{ oid: '1.3.6.1.4.1.99999.1', value }] });
  t.true(verifyCertificateChain({ leaf: plain.certPem, trusted: [root.certPem] }).ok);
});

test('SHA-1 signatures are refused below the anchor', (t) => {
  const sha1 = makeLeaf({ issuer: root, hash: 'sha1' });
  const result = failure(
    t,
    verifyCertificateChain({ leaf: sha1.certPem, trusted: [root.certPem] }),
  );
  t.is(result.code, 'CERT_SIGNATURE_ALGORITHM_WEAK');
  t.is(result.reason, 'leaf CN=localhost is signed with ecdsa_sha1, which is no longer accepted');
  const sha1Root = makeCa({ commonName: 'SHA-1 Root', hash: 'sha1' });
  t.true(verifyCertificateChain({
    leaf: makeLeaf({ issuer: sha1Root }).certPem,
    trusted: [sha1Root.certPem],
  }).ok);
});

test('RSA keys under 2048 bits are refused', (t) => {
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
  const result = failure(
    t,
    verifyCertificateChain({
      leaf: makeLeaf({ issuer: root, key: weak }).certPem,
      trusted: [root.certPem],
    }),
  );
  t.is(result.code, 'EE_KEY_TOO_SMALL');
  t.is(result.reason, 'leaf CN=localhost has a 1024-bit RSA key, under the 2048 bits required');
  const weakCa = makeCa({ key: weak, commonName: 'Weak CA' });
  const viaWeak = failure(
    t,
    verifyCertificateChain({
      leaf: makeLeaf({ issuer: weakCa }).certPem,
      trusted: [weakCa.certPem],
    }),
  );
  t.is(viaWeak.code, 'CA_KEY_TOO_SMALL');
});

test('a CA certificate presented as the leaf is refused', (t) => {
  const ca = makeCa({ issuer: root, commonName: 'Leafy CA' });
  const result = failure(t, verifyCertificateChain({ leaf: ca.certPem, trusted: [root.certPem] }));
  t.is(result.code, 'INVALID_PURPOSE');
  t.regex(result.reason, /is a CA certificate/);
});

function constrained(opts: Parameters<typeof makeCa>[0]): Issued {
  return makeCa({ commonName: 'Constrained ICA', issuer: root, ...opts });
}

test('name constraints: permitted DNS subtree', (t) => {
  const ica = constrained({ permitted: { dns: ['example.com'] } });
  const inside = makeLeaf({ issuer: ica, dns: ['www.example.com'] });
  t.true(verifyCertificateChain({
    leaf: inside.certPem,
    intermediates: [ica.certPem],
    trusted: [root.certPem],
  }).ok);
  const outside = makeLeaf({ issuer: ica, dns: ['www.other.test'] });
  const result = failure(
    t,
    verifyCertificateChain({
      leaf: outside.certPem,
      intermediates: [ica.certPem],
      trusted: [root.certPem],
    }),
  );
  t.is(result.code, 'PERMITTED_SUBTREE_VIOLATION');
  t.is(result.alert, 'unknown_ca');
  t.is(result.reason, 'CN=Constrained ICA may only issue within its permitted subtrees, not for DNS name ' +
    'www.other.test of CN=www.other.test');
});

test('name constraints: excluded DNS and IP subtrees', (t) => {
  const ica = constrained({ excluded: { dns: ['bad.example'], ip: ['10.0.0.0/8'] } });
  const dns = makeLeaf({ issuer: ica, dns: ['x.bad.example'] });
  const r1 = failure(
    t,
    verifyCertificateChain({
      leaf: dns.certPem,
      intermediates: [ica.certPem],
      trusted: [root.certPem],
    }),
  );
  t.is(r1.code, 'EXCLUDED_SUBTREE_VIOLATION');
  const ip = makeLeaf({ issuer: ica, ip: ['10.1.2.3'] });
  const r2 = failure(
    t,
    verifyCertificateChain({
      leaf: ip.certPem,
      intermediates: [ica.certPem],
      trusted: [root.certPem],
    }),
  );
  t.is(r2.code, 'EXCLUDED_SUBTREE_VIOLATION');
  t.regex(r2.reason, /may not issue for IP address 10\.1\.2\.3/);
  const fine = makeLeaf({ issuer: ica, dns: ['good.example'], ip: ['192.0.2.1'] });
  t.true(verifyCertificateChain({
    leaf: fine.certPem,
    intermediates: [ica.certPem],
    trusted: [root.certPem],
  }).ok);
});

test('name constraints: a wildcard SAN that could name an excluded host is refused', (t) => {
  const ica = constrained({ excluded: { dns: ['secret.example.com'] } });
  const wildcard = makeLeaf({ issuer: ica, dns: ['*.example.com'] });
  const result = failure(
    t,
    verifyCertificateChain({
      leaf: wildcard.certPem,
      intermediates: [ica.certPem],
      trusted: [root.certPem],
    }),
  );
  t.is(result.code, 'EXCLUDED_SUBTREE_VIOLATION');
});

test('input that is not a certificate is a result, never an exception', (t) => {
  for (const junk of [
    '',
    'hello',
    Buffer.from([0x30, 0x03, 0x02, 0x01]),
    Buffer.alloc(0),
    Buffer.from([0x30, 0x80]),
  ]) {
    const result = failure(t, verifyCertificateChain({ leaf: junk, trusted: [root.certPem] }));
    t.is(result.code, 'ERR_TLS13_INVALID_CERTIFICATE');
    t.is(result.alert, 'bad_certificate');
    t.is(result.certificate, undefined);
  }
});

test('a hundred same-name intermediates finish quickly and fail cleanly', (t) => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const loop: Issued[] = [];
  let issuer = makeCa({ commonName: 'Loop ICA', key });
  for (let i = 0; i < 100; i++) {
    issuer = makeCa({ commonName: 'Loop ICA', key, issuer });
    loop.push(issuer);
  }
  const child = makeLeaf({ issuer });
  const started = Date.now();
  const result = failure(
    t,
    verifyCertificateChain({
      leaf: child.certPem,
      intermediates: loop.map((c) => c.certDer),
      trusted: [root.certPem],
    }),
  );
  t.true(Date.now() - started < 2000);
  t.true(['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN'].includes(result.code));
});

test('serial numbers: zero and over 20 octets are refused below the anchor', (t) => {
  const zero = makeLeaf({ issuer: root, serial: Buffer.from([0]) });
  const r1 = failure(t, verifyCertificateChain({ leaf: zero.certPem, trusted: [root.certPem] }));
  t.is(r1.code, 'ERR_TLS13_INVALID_CERTIFICATE');
  t.is(r1.reason, 'leaf CN=localhost has a serial number of zero');
  const long = makeLeaf({ issuer: root, serial: Buffer.alloc(21, 0x11) });
  const r2 = failure(t, verifyCertificateChain({ leaf: long.certPem, trusted: [root.certPem] }));
  t.is(r2.reason, 'leaf CN=localhost has a serial number of 21 octets, more than 20');
  const twenty = makeLeaf({ issuer: root, serial: Buffer.alloc(20, 0x7f) });
  t.true(verifyCertificateChain({ leaf: twenty.certPem, trusted: [root.certPem] }).ok);
});

test('corrupted leaves never make verifyCertificateChain throw', (t) => {
  const der = leaf.certDer;
  let seed = 3;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const codes = new Set<string>();
  for (let i = 0; i < 400; i++) {
    const copy = Buffer.from(der);
    copy[rand(copy.length)] ^= 1 << rand(8);
    const result = verifyCertificateChain({
      leaf: copy,
      intermediates: [intermediate.certDer],
      trusted: [root.certPem],
      name: 'server.test',
    });
    if (!result.ok) codes.add(result.code);
  }
  t.true(codes.has('CERT_SIGNATURE_FAILURE'));
  t.true(codes.has('ERR_TLS13_INVALID_CERTIFICATE'));
});

test('DER strictness: a non-minimal length inside an extension makes the leaf unusable', (t) => {
  // A subjectKeyIdentifier whose OCTET STRING length uses the long form for 1 byte.
  const skiOid = '2.5.29.14';
  const bad = makeLeaf({
    issuer: root,
    omitSubjectKeyId: true,
    extensions: [{ oid: skiOid, value: Buffer.from('048101ff', 'hex') }],
  });
  const result = failure(t, verifyCertificateChain({ leaf: bad.certDer, trusted: [root.certPem] }));
  t.is(result.code, 'ERR_TLS13_INVALID_CERTIFICATE');
  t.regex(result.reason, /subjectKeyIdentifier: DER length is not minimal/);
});

test('a GeneralizedTime before 2050 is refused in a sent certificate but tolerated in an anchor', (t) => {
  const gtRoot = makeCa({ commonName: 'GT Root', generalizedTime: true });
  t.deepEqual(gtRoot.certificate.encodingIssues.length, 2);
  const fine = makeLeaf({ issuer: gtRoot });
  t.true(verifyCertificateChain({ leaf: fine.certPem, trusted: [gtRoot.certPem] }).ok);
  const gtLeaf = makeLeaf({ issuer: root, generalizedTime: true });
  const result = failure(
    t,
    verifyCertificateChain({ leaf: gtLeaf.certPem, trusted: [root.certPem] }),
  );
  t.is(result.code, 'ERR_TLS13_INVALID_CERTIFICATE');
  t.regex(result.reason, /is a GeneralizedTime before 2050$/);
});

test('name constraints: URI hosts and domains', (t) => {
  const ica = constrained({ permitted: { uri: ['.example.com', 'exact.test'] } });
  const verifyUri = (uri: string) => verifyCertificateChain({
    leaf: makeLeaf({ issuer: ica, dns: ['a.example.com'], uri: [uri] }).certPem,
    intermediates: [ica.certPem],
    trusted: [root.certPem],
  });
  t.true(verifyUri('https://www.example.com/path').ok);
  t.true(verifyUri('spiffe://exact.test/workload').ok);
  for (const uri of ['https://example.com/', 'https://other.test/', 'urn:uuid:1234']) {
    const result = verifyUri(uri);
    t.false(result.ok, uri);
    if (!result.ok) t.is(result.code, 'PERMITTED_SUBTREE_VIOLATION', uri);
  }
});

// The passing half of rules whose refusal is tested above.

test('a leaf keyUsage with digitalSignature, or none at all, can sign a handshake', (t) => {
  for (const keyUsage of [['digitalSignature', 'keyEncipherment'] as const, false as const]) {
    const usable = makeLeaf({ issuer: root, keyUsage: keyUsage && [...keyUsage] });
    t.true(verifyCertificateChain({ leaf: usable.certPem, trusted: [root.certPem] }).ok);
  }
});

test('an RSA key of 2048 bits is accepted in a leaf and in its issuer', (t) => {
  const rsaRoot = makeCa({ commonName: 'RSA Root', keyType: 'rsa-2048' });
  const rsaLeaf = makeLeaf({ issuer: rsaRoot, keyType: 'rsa-2048' });
  const result = verifyCertificateChain({ leaf: rsaLeaf.certPem, trusted: [rsaRoot.certPem] });
  t.true(result.ok, chainNames(result).join());
});

test('P-192 and DSA keys are refused in a sent certificate; P-256 passes', (t) => {
  const p192 = generateKeyPairSync('ec', { namedCurve: 'prime192v1' }).privateKey;
  const dsa = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).privateKey;
  for (const [key, pattern] of [[p192, /P-192|prime192v1/], [dsa, /DSA/]] as const) {
    const result = failure(
      t,
      verifyCertificateChain({
        leaf: makeLeaf({ issuer: root, key }).certPem,
        trusted: [root.certPem],
      }),
    );
    t.is(result.code, 'ERR_TLS13_INVALID_CERTIFICATE');
    t.regex(result.reason, pattern);
  }
  const p256 = makeLeaf({ issuer: root, keyType: 'ec-p256' });
  t.true(verifyCertificateChain({ leaf: p256.certPem, trusted: [root.certPem] }).ok);
});

test('a notAfter past 2050, as GeneralizedTime, is accepted and checked past 2050', (t) => {
  const notAfter = new Date(Date.UTC(2051, 0, 1));
  const longLived = makeLeaf({ issuer: root, notAfter });
  // notBefore is a UTCTime (tag 0x17), notAfter a GeneralizedTime "20510101000000Z" (0x18).
  t.true(longLived.certDer.includes(Buffer.from('180f3230353130313031', 'hex')));
  t.is(longLived.certificate.encodingIssues.length, 0);
  t.true(verifyCertificateChain({ leaf: longLived.certPem, trusted: [root.certPem] }).ok);
  // Checked at a moment past the switch, the leaf is still inside its validity.
  const at2050 = new Date(Date.UTC(2050, 5, 1));
  const lateRoot = makeCa({ commonName: 'Late Root', notAfter: new Date(Date.UTC(2060, 0, 1)) });
  const lateLeaf = makeLeaf({ issuer: lateRoot, notAfter });
  t.true(verifyCertificateChain({
    leaf: lateLeaf.certPem, trusted: [lateRoot.certPem], time: at2050,
  }).ok);
  t.is(failure(t, verifyCertificateChain({
    leaf: lateLeaf.certPem, trusted: [lateRoot.certPem], time: new Date(Date.UTC(2051, 0, 2)),
  })).code, 'CERT_HAS_EXPIRED');
});

test('the same issuer name on two keys: the one whose key signed the leaf is found', (t) => {
  const impostor = makeCa({ commonName: 'Twin CA', issuer: root });
  const twin = makeCa({ commonName: 'Twin CA', issuer: root });
  const child = makeLeaf({ issuer: twin, omitAuthorityKeyId: true });
  const both = verifyCertificateChain({
    leaf: child.certPem,
    intermediates: [impostor.certPem, twin.certPem],
    trusted: [root.certPem],
  });
  t.true(both.ok, chainNames(both).join());
  if (both.ok) t.is(both.chain[1], twin.certificate);
  t.false(verifyCertificateChain({
    leaf: child.certPem,
    intermediates: [impostor.certPem],
    trusted: [root.certPem],
  }).ok);
});

test('a critical authorityInfoAccess is refused; a non-critical one is fine', (t) => {
  // AccessDescription { id-ad-caIssuers, uniformResourceIdentifier }
  const caIssuers = Buffer.from('06082b06010505073002', 'hex');
  const uri = Buffer.from('http://127.0.0.1/ca.der', 'latin1');
  const value = derTlv(0x30, derTlv(0x30, Buffer.concat([caIssuers, derTlv(0x86, uri)])));
  const aia = '1.3.6.1.5.5.7.1.1';
  const critical = makeLeaf({ issuer: root, extensions: [{ oid: aia, critical: true, value }] });
  const result = failure(
    t,
    verifyCertificateChain({ leaf: critical.certPem, trusted: [root.certPem] }),
  );
  t.is(result.code, 'UNHANDLED_CRITICAL_EXTENSION');
  t.regex(result.reason, /has critical extension 1\.3\.6\.1\.5\.5\.7\.1\.1,/);
  const plain = makeLeaf({ issuer: root, extensions: [{ oid: aia, value }] });
  t.true(verifyCertificateChain({ leaf: plain.certPem, trusted: [root.certPem] }).ok);
});

test('name constraints: a malformed iPAddress subtree is refused, a sound one is not', (t) => {
  // NameConstraints { permittedSubtrees [0] { GeneralSubtree { iPAddress [7] } } }
  const withIp = (bytes: Buffer) => derTlv(0x30, derTlv(0xa0, derTlv(0x30, derTlv(0x87, bytes))));
  const verifyUnder = (bytes: Buffer) => {
    const ica = makeCa({
      commonName: 'IP Constrained ICA',
      issuer: root,
      extensions: [{ oid: '2.5.29.30', critical: true, value: withIp(bytes) }],
    });
    return verifyCertificateChain({
      leaf: makeLeaf({ issuer: ica, ip: ['192.0.2.1'] }).certPem,
      intermediates: [ica.certPem],
      trusted: [root.certPem],
    });
  };
  t.true(verifyUnder(Buffer.from([192, 0, 2, 0, 255, 255, 255, 0])).ok);
  // Five octets are neither an IPv4 nor an IPv6 address and mask.
  // A mask that is not a run of ones followed by zeros is malformed too.
  for (const bytes of [[192, 0, 2, 0, 255], [192, 0, 2, 0, 255, 0, 255, 0]]) {
    const result = failure(t, verifyUnder(Buffer.from(bytes)));
    t.is(result.code, 'INVALID_EXTENSION');
    t.regex(result.reason, /^CN=IP Constrained ICA has malformed name constraints: iPAddress /);
  }
});

// The factory signs with SHA-1 at weakest; MD5 is made by re-signing an RSA certificate's TBS
// with the algorithm swapped (both OIDs have the same length, so the TBS keeps its shape).
function resignWithMd5(cert: Buffer, issuerKey: KeyObject): Buffer {
  const sha256WithRsa = Buffer.from('2a864886f70d01010b', 'hex');
  const md5WithRsa = Buffer.from('2a864886f70d010104', 'hex');
  const tbs = Buffer.from(children(parseDer(cert))[0].raw);
  const at = tbs.indexOf(sha256WithRsa);
  md5WithRsa.copy(tbs, at);
  const nullParams = Buffer.from('0500', 'hex');
  const algorithm = derTlv(0x30, Buffer.concat([derTlv(0x06, md5WithRsa), nullParams]));
  const signature = Buffer.concat([Buffer.from([0]), sign('md5', tbs, issuerKey)]);
  return derTlv(0x30, Buffer.concat([tbs, algorithm, derTlv(0x03, signature)]));
}

test('MD5 signatures are refused below the anchor, and tolerated on the anchor itself', (t) => {
  const rsaRoot = makeCa({ commonName: 'MD5 Test Root', keyType: 'rsa-2048' });
  const md5Leaf = resignWithMd5(makeLeaf({ issuer: rsaRoot }).certDer, rsaRoot.key);
  const result = failure(t, verifyCertificateChain({ leaf: md5Leaf, trusted: [rsaRoot.certPem] }));
  t.is(result.code, 'CERT_SIGNATURE_ALGORITHM_WEAK');
  t.regex(result.reason, /^leaf CN=localhost is signed with .*md5/i);

  const md5Root = resignWithMd5(rsaRoot.certDer, rsaRoot.key);
  const child = makeLeaf({ issuer: rsaRoot });
  const viaMd5Root = verifyCertificateChain({ leaf: child.certPem, trusted: [md5Root] });
  t.true(viaMd5Root.ok, chainNames(viaMd5Root).join());
});

test('options: one PEM Buffer as trusted works like a list; a wrong purpose is refused by name', (t) => {
  const root = makeCa({ commonName: 'Options Root' });
  const leaf = makeLeaf({ issuer: root, dns: ['options.test'] });
  const single = verifyCertificateChain({
    leaf: leaf.certPem, trusted: Buffer.from(root.certPem), name: 'options.test', purpose: 'server',
  });
  t.true(single.ok, single.ok ? '' : single.reason);
  const error = t.throws(() => verifyCertificateChain({
    leaf: leaf.certPem, trusted: [root.certPem],
    purpose: 'clientAuth' as unknown as 'client',
  }));
  t.is((error as Error & { code?: string }).code, 'ERR_TLS13_INVALID_OPTION');
  t.regex(error?.message ?? '', /purpose must be 'server' or 'client', not "clientAuth"/);
});

test('maxDepth must be a whole number, 0 or more: NaN, Infinity, -1 and 1.5 are refused by name', (t) => {
  for (const maxDepth of [NaN, Infinity, -1, 1.5, '3' as unknown as number]) {
    const error = t.throws(() => verifyCertificateChain({ leaf: leaf.certPem, trusted: [root.certPem],
      maxDepth }));
    t.is((error as Error & { code?: string }).code, 'ERR_TLS13_INVALID_OPTION');
    t.is(error?.message, `maxDepth must be a whole number of intermediates, 0 or more, not ${String(maxDepth)}`);
  }
  t.true(verifyCertificateChain({ leaf: leaf.certPem, intermediates: [intermediate.certPem],
    trusted: [root.certPem], maxDepth: 1 }).ok);
});

// A program that passes nothing usable still gets a result it can show, not a TypeError.
test('no options object, or no leaf in it: a failure that says so, never an exception', (t) => {
  const expected = 'verifyCertificateChain needs an options object with a leaf';
  const verify = verifyCertificateChain as (options?: unknown) => VerifyResult;
  for (const options of [undefined, null, 'leaf.pem', 42, [], {}, { leaf: null }]) {
    const result = failure(t, verify(options));
    t.is(result.reason, expected, JSON.stringify(options));
    t.is(result.code, 'ERR_TLS13_INVALID_CERTIFICATE');
    t.is(result.alert, 'bad_certificate');
  }
  t.is(failure(t, verify()).reason, expected);
  const notBytes = 'certificate input must be PEM text or DER bytes, not a number';
  t.is(failure(t, verify({ leaf: 42 })).reason, `leaf certificate cannot be used: ${notBytes}`);
});
