// The checks on one certificate of a path, by its role: leaf, intermediate or trust anchor.
// RFC 5280, Sections 4.2 and 6.1, with the Web PKI's profile of it (the CA/Browser Forum
// Baseline Requirements) where the two differ; each failure carries Node's code for it.

import type { AlertName } from '../protocol/registry';
import { CertificateErrorCode as Code } from '../errors';
import type { Certificate } from './certificate';
import { commonNameFormProblem, isHostName } from './identity';
import { stringAttributes } from './name';
import { Oid } from './oids';

export type Role = 'leaf' | 'intermediate' | 'anchor';

export interface Failure {
  code: string;
  reason: string;
  certificate: Certificate | undefined;
  alert?: AlertName;
}

// The extensions we process, so that they may be critical (RFC 5280, Section 4.2).
const HANDLED = new Set<string>([
  Oid.basicConstraints,
  Oid.keyUsage,
  Oid.extKeyUsage,
  Oid.subjectAltName,
  Oid.nameConstraints,
  Oid.certificatePolicies,
  Oid.policyConstraints,
  Oid.policyMappings,
  Oid.inhibitAnyPolicy,
  Oid.authorityKeyIdentifier,
  Oid.subjectKeyIdentifier,
]);

const PURPOSE_OID = { server: Oid.serverAuth, client: Oid.clientAuth } as const;
const ANY_POLICY = '2.5.29.32.0';

function fail(code: string, reason: string, certificate: Certificate, alert?: AlertName): Failure {
  return alert ? { code, reason, certificate, alert } : { code, reason, certificate };
}

/** Checks that apply whatever the role: time, encoding, keys, extensions. */
export function checkCertificate(
  cert: Certificate,
  role: Role,
  time: Date,
  leafIsAnchor: boolean,
): Failure | undefined {
  const trusted = role === 'anchor' || leafIsAnchor;
  // Issuers' keys prove themselves by verifying signatures; the leaf's is only used later.
  if (role === 'leaf' && !cert.hasUsableKey) {
    return fail(
      Code.INVALID_CERTIFICATE,
      `leaf ${cert.subjectText} has a public key that cannot be used`,
      cert,
    );
  }
  return (
    checkTime(cert, role, time) ??
    checkCriticalExtensions(cert, role) ??
    checkKeyStrength(cert, role) ??
    (trusted ? undefined : checkUntrustedEncoding(cert, role)) ??
    checkExtensionProfile(cert, role)
  );
}

function label(cert: Certificate, role: Role): string {
  return `${role === 'anchor' ? 'trust anchor' : role} ${cert.subjectText}`;
}

// RFC 5280, Section 6.1.3, step (a)(2): the time must lie within notBefore..notAfter.
function checkTime(cert: Certificate, role: Role, time: Date): Failure | undefined {
  if (time < cert.notBefore) {
    return fail(
      Code.CERT_NOT_YET_VALID,
      `${label(cert, role)} is not valid until ` +
        `${iso(cert.notBefore)}, ${span(cert.notBefore.getTime() - time.getTime())} from now`,
      cert,
    );
  }
  if (time > cert.notAfter) {
    return fail(
      Code.CERT_HAS_EXPIRED,
      `${label(cert, role)} expired ` +
        `${span(time.getTime() - cert.notAfter.getTime())} ago (notAfter ${iso(cert.notAfter)})`,
      cert,
    );
  }
  return undefined;
}

function iso(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

function span(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  const units: Array<[number, string]> = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  const [size, name] = units.find(([s]) => seconds >= s) ?? [1, 'second'];
  const n = Math.round(seconds / size);
  return `${n} ${name}${n === 1 ? '' : 's'}`;
}

function checkCriticalExtensions(cert: Certificate, role: Role): Failure | undefined {
  for (const ext of cert.extensions.values()) {
    if (ext.critical && !HANDLED.has(ext.oid)) {
      return fail(
        Code.UNHANDLED_CRITICAL_EXTENSION,
        `${label(cert, role)} has critical extension ${ext.oid}, which we do not process`,
        cert,
      );
    }
  }
  return undefined;
}

// RSA moduli under 2048 bits are breakable or close to it; one whose length is not a whole
// number of bytes is a sign of a broken generator (both refused by the Baseline Requirements,
// Section 6.1.5).
function checkKeyStrength(cert: Certificate, role: Role): Failure | undefined {
  if (cert.keyKind !== 'rsa' && cert.keyKind !== 'rsa-pss') return undefined;
  const bits = cert.keyBits ?? 0;
  if (bits >= 2048 && bits % 8 === 0) return undefined;
  const code = role === 'leaf' ? Code.EE_KEY_TOO_SMALL : Code.CA_KEY_TOO_SMALL;
  const why = bits < 2048 ? 'under the 2048 bits required' : 'not a multiple of 8 bits';
  return fail(code, `${label(cert, role)} has a ${bits}-bit RSA key, ${why}`, cert);
}

// Rules for certificates the peer sent, which trust anchors from the store are spared: the
// anchor's own signature and encoding are not what makes it trusted.
function checkUntrustedEncoding(cert: Certificate, role: Role): Failure | undefined {
  if (cert.signature.weak) {
    return fail(
      Code.CERT_SIGNATURE_ALGORITHM_WEAK,
      `${label(cert, role)} is signed with ${cert.signatureAlgorithm}, which is no longer accepted`,
      cert,
    );
  }
  const serialProblem = checkSerial(cert.serialNumber);
  if (serialProblem) {
    return fail(
      Code.INVALID_CERTIFICATE,
      `${label(cert, role)} has a serial number ${serialProblem}`,
      cert,
    );
  }
  if (cert.encodingIssues.length > 0) {
    return fail(Code.INVALID_CERTIFICATE, `${label(cert, role)}: ${cert.encodingIssues[0]}`, cert);
  }
  if (cert.issuerName.rdns.length === 0) {
    return fail(Code.INVALID_CERTIFICATE, `${label(cert, role)} has an empty issuer name`, cert);
  }
  return undefined;
}

// RFC 5280, Section 4.1.2.2: a positive integer of at most 20 octets.
function checkSerial(serial: Buffer): string | undefined {
  if (serial[0] & 0x80) return 'that is negative';
  if (serial.every((b) => b === 0)) return 'of zero';
  const octets = serial[0] === 0 ? serial.length - 1 : serial.length;
  return octets > 20 ? `of ${octets} octets, more than 20` : undefined;
}

// Extension rules of RFC 5280, Section 4.2 that hold whatever the path.
function checkExtensionProfile(cert: Certificate, role: Role): Failure | undefined {
  const ext = cert.extensions;
  const bad = (reason: string) =>
    fail(Code.INVALID_EXTENSION, `${label(cert, role)} ${reason}`, cert);
  if (ext.get(Oid.authorityInfoAccess)?.critical) {
    return bad('marks authorityInfoAccess critical, which RFC 5280, Section 4.2.2.1 forbids');
  }
  const pc = ext.get(Oid.policyConstraints);
  if (pc && !pc.critical) {
    return bad('has a non-critical policyConstraints, which RFC 5280, Section 4.2.1.11 forbids');
  }
  const inhibitAny = ext.get(Oid.inhibitAnyPolicy);
  if (inhibitAny && !inhibitAny.critical) {
    return bad('has a non-critical inhibitAnyPolicy, which RFC 5280, Section 4.2.1.14 forbids');
  }
  if (cert.policyMappings?.some(([from, to]) => from === ANY_POLICY || to === ANY_POLICY)) {
    return bad('maps anyPolicy, which RFC 5280, Section 4.2.1.5 forbids');
  }
  if (!cert.isCA && cert.keyUsage?.has('keyCertSign')) {
    return bad('asserts keyCertSign without basicConstraints cA');
  }
  if (!cert.isCA && cert.nameConstraints) {
    return bad('is not a CA but has name constraints');
  }
  for (const san of cert.subjectAltNames ?? []) {
    if (san.type === 'iPAddress' && san.bytes.length !== 4 && san.bytes.length !== 16) {
      return bad(`has a subjectAltName IP address of ${san.bytes.length} bytes`);
    }
    if (san.type === 'rfc822Name' && !validMailbox(san.value)) {
      return bad(`has a malformed subjectAltName email "${san.value}"`);
    }
  }
  return undefined;
}

// RFC 5280, Section 4.2.1.6: an addr-spec (RFC 5322, Section 3.4.1), here its dot-atom form.
function validMailbox(value: string): boolean {
  const at = value.indexOf('@');
  const local = value.slice(0, at);
  const atom = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
  return at > 0 && atom.test(local) && isHostName(value.slice(at + 1).toLowerCase());
}

/** Checks a certificate that issues another: a CA allowed to sign certificates. */
export function checkIssuer(
  cert: Certificate,
  role: Role,
  purpose: 'server' | 'client' | undefined,
  vetted = false,
): Failure | undefined {
  const bc = cert.extensions.get(Oid.basicConstraints);
  // A version 1 root carries no extensions at all; a store may still trust it as an anchor.
  const v1Anchor = role === 'anchor' && cert.version === 1;
  if (!v1Anchor && !cert.isCA) {
    return fail(
      Code.INVALID_CA,
      `${label(cert, role)} is not a CA (no basicConstraints cA TRUE)`,
      cert,
    );
  }
  if (bc && !bc.critical && !(vetted && role === 'anchor')) {
    return fail(
      Code.INVALID_CA,
      `${label(cert, role)} has a non-critical basicConstraints, ` +
        'which RFC 5280, Section 4.2.1.9 forbids for a CA',
      cert,
    );
  }
  if (cert.keyUsage && !cert.keyUsage.has('keyCertSign')) {
    return fail(Code.INVALID_CA, `${label(cert, role)} has keyUsage without keyCertSign`, cert);
  }
  if (cert.subjectName.rdns.length === 0) {
    return fail(Code.INVALID_CA, `${label(cert, role)} is a CA with an empty subject`, cert);
  }
  if (vetted && role === 'anchor') return checkIssuerPurpose(cert, role, purpose, vetted);
  return checkKeyIdentifiers(cert, role) ?? checkIssuerPurpose(cert, role, purpose, vetted);
}

// RFC 5280, Sections 4.2.1.1 and 4.2.1.2: a CA names its key (SKI) and, unless self-signed,
// its issuer's (AKI). For roots, the Baseline Requirements, Section 7.1.2.1.3 allow only a
// keyIdentifier in the AKI, equal to the SKI.
function checkKeyIdentifiers(cert: Certificate, role: Role): Failure | undefined {
  const aki = cert.authorityKeyIdentifier;
  const bad = (reason: string) =>
    fail(Code.INVALID_EXTENSION, `${label(cert, role)} ${reason}`, cert);
  if (role === 'intermediate' && !cert.subjectKeyIdentifier) {
    return bad('has no subjectKeyIdentifier, which a CA must have');
  }
  if (role === 'intermediate' && !cert.isSelfIssued && !aki?.keyIdentifier) {
    return bad('has no authorityKeyIdentifier, which a certificate not self-signed must have');
  }
  if (role === 'anchor' && cert.isSelfIssued && aki) {
    if (aki.authorityCertIssuer || aki.authorityCertSerialNumber) {
      return bad('is a root whose authorityKeyIdentifier names an issuer and serial');
    }
    const ski = cert.subjectKeyIdentifier;
    if (aki.keyIdentifier && ski && !aki.keyIdentifier.equals(ski)) {
      return bad('is a root whose authorityKeyIdentifier differs from its subjectKeyIdentifier');
    }
  }
  return undefined;
}

// Mozilla's and the Web PKI's reading: an intermediate that lists key purposes may only issue
// for them; a root lists none (Baseline Requirements, Section 7.1.2.1.2).
function checkIssuerPurpose(
  cert: Certificate,
  role: Role,
  purpose: 'server' | 'client' | undefined,
  vetted: boolean,
): Failure | undefined {
  const eku = cert.extKeyUsage;
  if (!eku) return undefined;
  if (role === 'anchor' && cert.isSelfIssued && !vetted) {
    return fail(
      Code.INVALID_PURPOSE,
      `${label(cert, role)} is a root with extKeyUsage, which the ` +
        'Baseline Requirements forbid',
      cert,
    );
  }
  if (!purpose || eku.includes(PURPOSE_OID[purpose]) || eku.includes(Oid.anyExtendedKeyUsage)) {
    return undefined;
  }
  return fail(
    Code.INVALID_PURPOSE,
    `${label(cert, role)} may not issue for ${purpose} authentication (extKeyUsage lacks ` +
      `${purpose === 'server' ? 'serverAuth' : 'clientAuth'})`,
    cert,
  );
}

/** Checks on the end-entity certificate: purpose, key usage for signing, identity profile. */
export function checkLeaf(
  cert: Certificate,
  purpose: 'server' | 'client' | undefined,
  isAnchor: boolean,
): Failure | undefined {
  const role: Role = 'leaf';
  if (cert.isCA && !isAnchor) {
    return fail(
      Code.INVALID_PURPOSE,
      `${label(cert, role)} is a CA certificate (basicConstraints ` +
        'cA TRUE), not an end-entity certificate',
      cert,
    );
  }
  // TLS 1.3 uses the leaf key only to sign CertificateVerify (RFC 8446, Section 4.4.2.2).
  if (cert.keyUsage && !cert.keyUsage.has('digitalSignature')) {
    return fail(
      Code.INVALID_PURPOSE,
      `${label(cert, role)} has keyUsage without ` +
        'digitalSignature, so it cannot sign a TLS 1.3 handshake',
      cert,
    );
  }
  if (!purpose) return undefined;
  return (
    checkLeafPurpose(cert, purpose, isAnchor) ?? checkServerCommonName(cert, purpose, isAnchor)
  );
}

// Baseline Requirements, Section 7.1.4.3: a server certificate's common name, when it holds an
// address or a domain name, is written in one canonical form. Client certificates carry user
// and device names there, under no such rule.
function checkServerCommonName(
  cert: Certificate,
  purpose: 'server' | 'client',
  isAnchor: boolean,
): Failure | undefined {
  if (purpose !== 'server' || isAnchor) return undefined;
  for (const cn of stringAttributes(cert.subjectName, Oid.commonName)) {
    const problem = commonNameFormProblem(cn);
    if (!problem) continue;
    return fail(
      Code.INVALID_CERTIFICATE,
      `leaf ${cert.subjectText} breaks the Baseline Requirements, Section 7.1.4.3: its ` +
        `common name ${problem}`,
      cert,
    );
  }
  return undefined;
}

// The Web PKI profile (Baseline Requirements, Section 7.1.2.7.10) requires extKeyUsage on a
// subscriber certificate; RFC 5280 would read its absence as "any purpose". A certificate
// trusted directly, as a pinned self-signed one is, is exempt.
function checkLeafPurpose(
  cert: Certificate,
  purpose: 'server' | 'client',
  isAnchor: boolean,
): Failure | undefined {
  const eku = cert.extKeyUsage;
  const name = purpose === 'server' ? 'serverAuth' : 'clientAuth';
  if (!eku) {
    if (isAnchor) return undefined;
    return fail(
      Code.INVALID_PURPOSE,
      `leaf ${cert.subjectText} has no extKeyUsage, so it is not marked for ${name}`,
      cert,
    );
  }
  if (cert.extensions.get(Oid.extKeyUsage)?.critical) {
    return fail(
      Code.INVALID_PURPOSE,
      `leaf ${cert.subjectText} marks extKeyUsage critical, which ` +
        'the Baseline Requirements, Section 7.1.2.7.6 forbid',
      cert,
    );
  }
  if (eku.includes(PURPOSE_OID[purpose]) || eku.includes(Oid.anyExtendedKeyUsage)) return undefined;
  return fail(
    Code.INVALID_PURPOSE,
    `leaf ${cert.subjectText} is not for ${purpose} authentication (extKeyUsage lacks ${name})`,
    cert,
  );
}
