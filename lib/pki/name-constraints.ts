// Name constraints (RFC 5280, Section 4.2.1.10): a CA's permitted and excluded subtrees,
// applied to every name of every certificate below it on the path.
//
// We process dNSName, iPAddress, rfc822Name, directoryName and the host of a
// uniformResourceIdentifier. For any other form, a
// constraint is fatal only when a certificate below carries a name of that form, which is
// what the RFC allows ("process the constraint or reject the certificate").

import type { Certificate } from './certificate';
import type { GeneralSubtree, NameConstraintsInfo } from './extensions';
import { formatIp, type GeneralName } from './general-name';
import { isHostName } from './identity';
import { type DistinguishedName, nameWithin, nameToText } from './name';

const EMAIL_ATTRIBUTE = '1.2.840.113549.1.9.1';

// Comparisons allowed per path; quadratic blowups (thousands of names times thousands of
// constraints) are refused rather than computed.
export const NAME_CONSTRAINT_BUDGET = 250_000;

type ViolationCode =
  'PERMITTED_SUBTREE_VIOLATION' | 'EXCLUDED_SUBTREE_VIOLATION' | 'UNSUPPORTED_NAME_SYNTAX';

export type ConstraintResult = { ok: true } | { ok: false; code: ViolationCode; reason: string };

function refuse(code: ViolationCode, reason: string): ConstraintResult {
  return { ok: false, code, reason };
}

/** A problem with the constraints themselves, or undefined when they are well formed. */
export function malformedConstraint(nc: NameConstraintsInfo): string | undefined {
  for (const subtree of [...(nc.permitted ?? []), ...(nc.excluded ?? [])]) {
    const problem = malformedBase(subtree.base);
    if (problem) return problem;
  }
  return undefined;
}

function malformedBase(base: GeneralName): string | undefined {
  switch (base.type) {
    case 'dNSName':
      // RFC 5280 gives no leading-period or wildcard form for DNS constraints.
      return base.value === '' || isHostName(base.value.toLowerCase())
        ? undefined
        : `dNSName constraint "${base.value}" is not a host name`;
    case 'iPAddress':
      return validIpConstraint(base.bytes) ? undefined : 'iPAddress constraint is not address/mask';
    case 'rfc822Name':
      if (validEmailConstraint(base.value)) return undefined;
      return `rfc822Name constraint "${base.value}" is malformed`;
    case 'uniformResourceIdentifier': {
      const host = base.value.startsWith('.') ? base.value.slice(1) : base.value;
      if (isHostName(host.toLowerCase())) return undefined;
      return `URI constraint "${base.value}" is not a host or domain`;
    }
    default:
      return undefined;
  }
}

function validIpConstraint(bytes: Buffer): boolean {
  if (bytes.length !== 8 && bytes.length !== 32) return false;
  const mask = bytes.subarray(bytes.length / 2);
  // The mask must be a run of ones followed by zeros (CIDR).
  let seenZero = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >> bit) & 1;
      if (one && seenZero) return false;
      if (!one) seenZero = true;
    }
  }
  return true;
}

function validEmailConstraint(value: string): boolean {
  const at = value.lastIndexOf('@');
  if (at >= 0) return at > 0 && isHostName(value.slice(at + 1).toLowerCase());
  const host = value.startsWith('.') ? value.slice(1) : value;
  return isHostName(host.toLowerCase());
}

/** Names of one certificate that constraints apply to. */
interface SubjectNames {
  dns: string[];
  ip: Buffer[];
  email: string[];
  dn: DistinguishedName[];
  uri: string[];
  other: GeneralName[];
}

function namesOf(cert: Certificate, includeSubject: boolean): SubjectNames {
  const names: SubjectNames = { dns: [], ip: [], email: [], dn: [], uri: [], other: [] };
  for (const san of cert.subjectAltNames ?? []) {
    if (san.type === 'dNSName') names.dns.push(san.value.toLowerCase());
    else if (san.type === 'iPAddress') names.ip.push(san.bytes);
    else if (san.type === 'rfc822Name') names.email.push(san.value);
    else if (san.type === 'directoryName') names.dn.push(san.name);
    else if (san.type === 'uniformResourceIdentifier') names.uri.push(san.value);
    else names.other.push(san);
  }
  if (includeSubject && cert.subjectName.rdns.length > 0) {
    names.dn.push(cert.subjectName);
    // RFC 5280, Section 4.2.1.10: emailAddress attributes of the subject are rfc822Names too.
    for (const rdn of cert.subjectName.rdns) {
      for (const attr of rdn) if (attr.oid === EMAIL_ATTRIBUTE) names.email.push(attr.value);
    }
  }
  return names;
}

/**
 * Checks `cert` against the constraints of `ca`; the caller skips self-issued intermediates
 * (RFC 5280, Section 6.1.3, step b). `budget.left` counts comparisons down.
 */
export function checkNameConstraints(
  ca: Certificate,
  cert: Certificate,
  budget: { left: number },
): ConstraintResult {
  const nc = ca.nameConstraints;
  if (!nc) return { ok: true };
  const names = namesOf(cert, true);
  const subtrees = [...(nc.permitted ?? []), ...(nc.excluded ?? [])];
  budget.left -= subtrees.length * countNames(names);
  if (budget.left < 0) {
    return refuse(
      'UNSUPPORTED_NAME_SYNTAX',
      `${ca.subjectText} has more name constraints ` +
        `than we compare (budget exhausted on ${cert.subjectText})`,
    );
  }
  const unprocessed = names.other.find((n) => subtrees.some((s) => s.base.type === n.type));
  if (unprocessed) {
    return refuse(
      'UNSUPPORTED_NAME_SYNTAX',
      `${ca.subjectText} constrains ` +
        `${unprocessed.type} names, which we cannot check, and ${cert.subjectText} has one`,
    );
  }
  for (const [label, text] of allNames(names)) {
    const verdict = judge(nc, label, text);
    if (verdict) return violation(ca, cert, verdict, describe(label));
  }
  return { ok: true };
}

function countNames(n: SubjectNames): number {
  return n.dns.length + n.ip.length + n.email.length + n.dn.length + n.uri.length + n.other.length;
}

type Named =
  | ['dNSName', string]
  | ['iPAddress', Buffer]
  | ['rfc822Name', string]
  | ['directoryName', DistinguishedName]
  | ['uniformResourceIdentifier', string];

function allNames(n: SubjectNames): Named[] {
  return [
    ...n.dns.map((v): Named => ['dNSName', v]),
    ...n.ip.map((v): Named => ['iPAddress', v]),
    ...n.email.map((v): Named => ['rfc822Name', v]),
    ...n.dn.map((v): Named => ['directoryName', v]),
    ...n.uri.map((v): Named => ['uniformResourceIdentifier', v]),
  ];
}

function describe(label: Named[0]): (value: Named[1]) => string {
  return (value) => {
    if (label === 'iPAddress') return `IP address ${formatIp(value as Buffer)}`;
    if (label === 'directoryName') return `name ${nameToText(value as DistinguishedName)}`;
    if (label === 'uniformResourceIdentifier') return `URI ${value as string}`;
    return `${label === 'dNSName' ? 'DNS name' : 'email'} ${value as string}`;
  };
}

type Verdict = { excluded: boolean; value: Named[1] };

function judge(nc: NameConstraintsInfo, type: Named[0], value: Named[1]): Verdict | undefined {
  const ofType = (list: GeneralSubtree[] | undefined) =>
    (list ?? []).filter((s) => s.base.type === type);
  const excluded = ofType(nc.excluded).some((s) => matches(s.base, value, true));
  if (excluded) return { excluded: true, value };
  const permitted = ofType(nc.permitted);
  if (permitted.length > 0 && !permitted.some((s) => matches(s.base, value, false))) {
    return { excluded: false, value };
  }
  return undefined;
}

function violation(
  ca: Certificate,
  cert: Certificate,
  verdict: Verdict,
  text: (v: Named[1]) => string,
): ConstraintResult {
  const what = text(verdict.value);
  if (verdict.excluded) {
    return refuse(
      'EXCLUDED_SUBTREE_VIOLATION',
      `${ca.subjectText} may not issue for ${what}, which ${cert.subjectText} carries`,
    );
  }
  return refuse(
    'PERMITTED_SUBTREE_VIOLATION',
    `${ca.subjectText} may only issue within its ` +
      `permitted subtrees, not for ${what} of ${cert.subjectText}`,
  );
}

function matches(base: GeneralName, value: Named[1], forExclusion: boolean): boolean {
  switch (base.type) {
    case 'dNSName':
      return dnsWithin(value as string, base.value.toLowerCase(), forExclusion);
    case 'iPAddress':
      return ipWithin(value as Buffer, base.bytes);
    case 'rfc822Name':
      return emailWithin(value as string, base.value);
    case 'directoryName':
      return nameWithin(value as DistinguishedName, base.name);
    case 'uniformResourceIdentifier':
      return uriWithin(value as string, base.value.toLowerCase());
    default:
      return false;
  }
}

// A DNS constraint covers the name itself and every name below it. A wildcard SAN "*.x" may
// stand for any single label under x, so for exclusion it also collides with any L.x.
function dnsWithin(name: string, constraint: string, forExclusion: boolean): boolean {
  if (constraint === '') return true;
  if (name === constraint || name.endsWith(`.${constraint}`)) return true;
  if (forExclusion && name.startsWith('*.')) {
    const dot = constraint.indexOf('.');
    return dot > 0 && constraint.slice(dot + 1) === name.slice(2);
  }
  return false;
}

function ipWithin(address: Buffer, constraint: Buffer): boolean {
  if (address.length * 2 !== constraint.length) return false;
  const n = address.length;
  for (let i = 0; i < n; i++) {
    const mask = constraint[n + i];
    if ((address[i] & mask) !== (constraint[i] & mask)) return false;
  }
  return true;
}

// RFC 5280, Section 4.2.1.10: "local@host" is one mailbox (characters literal), "host" every
// mailbox at that host, ".domain" every mailbox at hosts below it.
function emailWithin(email: string, constraint: string): boolean {
  const at = email.lastIndexOf('@');
  if (at <= 0) return false;
  const local = email.slice(0, at);
  const host = email.slice(at + 1).toLowerCase();
  const cAt = constraint.lastIndexOf('@');
  if (cAt >= 0) {
    return local === constraint.slice(0, cAt) && host === constraint.slice(cAt + 1).toLowerCase();
  }
  const c = constraint.toLowerCase();
  return c.startsWith('.') ? host.endsWith(c) : host === c;
}

// RFC 5280, Section 4.2.1.10: a URI constraint names a host ("host.example.com") or the hosts
// below a domain (".example.com"). A URI without a host, or with an IP literal, matches none.
function uriWithin(uri: string, constraint: string): boolean {
  let host: string;
  try {
    host = new URL(uri).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host === '' || host.startsWith('[') || !isHostName(host)) return false;
  return constraint.startsWith('.') ? host.endsWith(constraint) : host === constraint;
}
