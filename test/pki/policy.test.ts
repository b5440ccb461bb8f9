import test from 'ava';

import { verifyCertificateChain, type VerifyResult } from '../../lib/pki/chain';
import { encodeOid } from '../../lib/pki/der';
import { derTlv, type ExtraExtension, makeCa, makeLeaf } from '../helpers/cert-factory';

const P1 = '1.3.6.1.4.1.99999.10.1';
const P2 = '1.3.6.1.4.1.99999.10.2';
const P9 = '1.3.6.1.4.1.99999.10.9';
const ANY = '2.5.29.32.0';

const oid = (dotted: string) => derTlv(0x06, encodeOid(dotted));
const seq = (...items: Buffer[]) => derTlv(0x30, Buffer.concat(items));

function policies(...oids: string[]): ExtraExtension {
  return { oid: '2.5.29.32', value: seq(...oids.map((o) => seq(oid(o)))) };
}

function requireExplicit(skip: number, critical = true): ExtraExtension {
  return { oid: '2.5.29.36', critical, value: seq(derTlv(0x80, Buffer.from([skip]))) };
}

function mapping(from: string, to: string): ExtraExtension {
  return { oid: '2.5.29.33', critical: true, value: seq(seq(oid(from), oid(to))) };
}

const root = makeCa({ commonName: 'Policy Root' });

function verify(icaExtensions: ExtraExtension[], leafExtensions: ExtraExtension[]): VerifyResult {
  const ica = makeCa({ commonName: 'Policy ICA', issuer: root, extensions: icaExtensions });
  const leaf = makeLeaf({ issuer: ica, extensions: leafExtensions });
  return verifyCertificateChain({
    leaf: leaf.certPem,
    intermediates: [ica.certPem],
    trusted: [root.certPem],
  });
}

test('without requireExplicitPolicy, policies do not decide', (t) => {
  t.true(verify([policies(P1)], []).ok);
  t.true(verify([policies(P1)], [policies(P2)]).ok);
});

test('requireExplicitPolicy: the leaf must assert a policy the path allows', (t) => {
  t.true(verify([policies(P1), requireExplicit(0)], [policies(P1)]).ok);
  const none = verify([policies(P1), requireExplicit(0)], []);
  t.false(none.ok);
  if (!none.ok) {
    t.is(none.code, 'NO_EXPLICIT_POLICY');
    t.is(
      none.reason,
      'the path requires an explicit certificate policy and none is valid for CN=localhost',
    );
  }
  const other = verify([policies(P1), requireExplicit(0)], [policies(P2)]);
  t.false(other.ok);
});

test('anyPolicy in the intermediate lets any leaf policy through', (t) => {
  t.true(verify([policies(ANY), requireExplicit(0)], [policies(P2)]).ok);
});

test('a policy mapping carries the issuer domain policy to the subject domain', (t) => {
  t.true(verify([policies(P1), requireExplicit(0), mapping(P1, P9)], [policies(P9)]).ok);
  t.false(verify([policies(P1), requireExplicit(0), mapping(P1, P9)], [policies(P1)]).ok);
});

test('policyConstraints and inhibitAnyPolicy must be critical; anyPolicy cannot be mapped', (t) => {
  const nonCritical = verify([policies(P1), requireExplicit(0, false)], [policies(P1)]);
  t.false(nonCritical.ok);
  if (!nonCritical.ok) t.is(nonCritical.code, 'INVALID_EXTENSION');
  const inhibit = { oid: '2.5.29.54', value: derTlv(0x02, Buffer.from([0])) };
  t.false(verify([policies(P1), inhibit], [policies(P1)]).ok);
  t.false(verify([policies(P1), mapping(ANY, P9)], [policies(P9)]).ok);
});

test('a repeated policy makes the certificate malformed', (t) => {
  const result = verify([], [policies(P1, P1)]);
  t.false(result.ok);
  if (!result.ok) t.regex(result.reason, /certificatePolicies repeats a policy/);
});
