// Name constraints of each form (RFC 5280, Section 4.2.1.10) through verifyCertificateChain:
// for every form, a permitted and an excluded subtree, each with a name that is refused and
// one that passes. chain.test.ts holds the DNS, IP-exclusion, wildcard and URI cases.

import test from 'ava';

import { verifyCertificateChain, type VerifyResult } from '../../lib/pki/chain';
import {
  type CertOptions, derName, derTlv, makeCa, makeLeaf, type Issued,
} from '../helpers/cert-factory';

const root = makeCa({ commonName: 'NC Test Root' });

function constrained(opts: CertOptions): Issued {
  return makeCa({ commonName: 'NC Constrained ICA', issuer: root, ...opts });
}

function verify(ica: Issued, leafOpts: CertOptions): VerifyResult {
  return verifyCertificateChain({
    leaf: makeLeaf({ issuer: ica, ...leafOpts }).certPem,
    intermediates: [ica.certPem],
    trusted: [root.certPem],
  });
}

function refusedWith(t: { is(a: unknown, b: unknown, m?: string): void; fail(m: string): void },
  result: VerifyResult, code: string, reason?: RegExp): void {
  if (result.ok) {
    t.fail(`expected ${code}, got a chain of ${result.chain.length}`);
    return;
  }
  t.is(result.code, code);
  t.is(result.alert, 'unknown_ca');
  if (reason && !reason.test(result.reason)) {
    t.fail(`reason "${result.reason}" does not match ${reason}`);
  }
}

// NameConstraints with directoryName subtrees, which the factory's options do not write:
// SEQUENCE { [0] permittedSubtrees, [1] excludedSubtrees }, each subtree SEQUENCE { [4] Name }.
function directoryNameConstraints(
  permitted: Array<Array<[string, string]>>,
  excluded: Array<Array<[string, string]>>,
): Buffer {
  const subtrees = (names: Array<Array<[string, string]>>) =>
    Buffer.concat(names.map((n) => derTlv(0x30, derTlv(0xa4, derName(n)))));
  const parts: Buffer[] = [];
  if (permitted.length > 0) parts.push(derTlv(0xa0, subtrees(permitted)));
  if (excluded.length > 0) parts.push(derTlv(0xa1, subtrees(excluded)));
  return derTlv(0x30, Buffer.concat(parts));
}

const NAME_CONSTRAINTS = '2.5.29.30';

test('IP: a permitted IPv4 and IPv6 range admits addresses inside and refuses the rest', (t) => {
  const ica = constrained({ permitted: { ip: ['192.0.2.0/24', '2001:db8::/32'] } });
  t.true(verify(ica, { ip: ['192.0.2.9', '2001:db8:1::5'] }).ok);
  refusedWith(t, verify(ica, { ip: ['198.51.100.1'] }), 'PERMITTED_SUBTREE_VIOLATION',
    /not for IP address 198\.51\.100\.1 /);
  refusedWith(t, verify(ica, { ip: ['2001:db9::1'] }), 'PERMITTED_SUBTREE_VIOLATION');
  // An IPv4 range says nothing about IPv6 addresses, and the other way round.
  const v4Only = constrained({ permitted: { ip: ['192.0.2.0/24'] } });
  refusedWith(t, verify(v4Only, { ip: ['::ffff:192.0.2.9'] }), 'PERMITTED_SUBTREE_VIOLATION');
});

test('IP: an excluded IPv6 range refuses addresses inside and admits the rest', (t) => {
  const ica = constrained({ excluded: { ip: ['2001:db8:bad::/48'] } });
  refusedWith(t, verify(ica, { ip: ['2001:db8:bad::1'] }), 'EXCLUDED_SUBTREE_VIOLATION');
  t.true(verify(ica, { ip: ['2001:db8:900d::1', '10.0.0.1'] }).ok);
});

test('rfc822Name: a permitted host admits its mailboxes and refuses others', (t) => {
  const ica = constrained({ permitted: { email: ['example.com'] } });
  t.true(verify(ica, { email: ['alice@example.com'] }).ok);
  t.true(verify(ica, { email: ['Alice@EXAMPLE.com'] }).ok);
  refusedWith(t, verify(ica, { email: ['bob@other.test'] }), 'PERMITTED_SUBTREE_VIOLATION',
    /not for email bob@other\.test /);
  // A host constraint covers that host only, not the hosts below it.
  refusedWith(t, verify(ica, { email: ['carol@mail.example.com'] }),
    'PERMITTED_SUBTREE_VIOLATION');
});

test('rfc822Name: an excluded domain refuses mailboxes below it, not at the domain itself', (t) => {
  const ica = constrained({ excluded: { email: ['.bad.example'] } });
  refusedWith(t, verify(ica, { email: ['eve@mail.bad.example'] }), 'EXCLUDED_SUBTREE_VIOLATION');
  t.true(verify(ica, { email: ['eve@bad.example'] }).ok);
});

test('rfc822Name: one permitted mailbox admits exactly that mailbox', (t) => {
  const ica = constrained({ permitted: { email: ['ops@example.com'] } });
  t.true(verify(ica, { email: ['ops@example.com'] }).ok);
  refusedWith(t, verify(ica, { email: ['dev@example.com'] }), 'PERMITTED_SUBTREE_VIOLATION');
});

test('rfc822Name: an emailAddress in the subject is checked like an rfc822Name SAN', (t) => {
  const ica = constrained({ permitted: { email: ['example.com'] } });
  const emailAddress = '1.2.840.113549.1.9.1';
  const subject = (mail: string): Array<[string, string]> => [['CN', 'mail'], [emailAddress, mail]];
  t.true(verify(ica, { subject: subject('alice@example.com'), dns: ['localhost'] }).ok);
  refusedWith(t, verify(ica, { subject: subject('mallory@other.test'), dns: ['localhost'] }),
    'PERMITTED_SUBTREE_VIOLATION', /mallory@other\.test/);
});

test('directoryName: a permitted subtree admits subjects under it and refuses others', (t) => {
  const ica = constrained({
    extensions: [{
      oid: NAME_CONSTRAINTS,
      critical: true,
      value: directoryNameConstraints([[['C', 'NL'], ['O', 'tls13 Test']]], []),
    }],
  });
  const inside = verify(ica, { subject: [['C', 'NL'], ['O', 'tls13 Test'], ['CN', 'svc']] });
  t.true(inside.ok, inside.ok ? '' : inside.reason);
  refusedWith(t, verify(ica, { subject: [['C', 'NL'], ['O', 'Other'], ['CN', 'svc']] }),
    'PERMITTED_SUBTREE_VIOLATION', /not for name .*O=Other/);
  refusedWith(t, verify(ica, { subject: [['CN', 'svc']] }), 'PERMITTED_SUBTREE_VIOLATION');
});

test('directoryName: an excluded subtree refuses subjects under it and admits others', (t) => {
  const ica = constrained({
    extensions: [{
      oid: NAME_CONSTRAINTS,
      critical: true,
      value: directoryNameConstraints([], [[['O', 'Evil Corp']]]),
    }],
  });
  refusedWith(t, verify(ica, { subject: [['O', 'Evil Corp'], ['CN', 'svc']] }),
    'EXCLUDED_SUBTREE_VIOLATION', /may not issue for name .*O=Evil Corp/);
  t.true(verify(ica, { subject: [['O', 'Good Corp'], ['CN', 'svc']] }).ok);
});
