// Decoders for the certificate extensions that path validation reads (RFC 5280, Section 4.2).
// Each takes the extnValue octets, checks them as DER and returns a plain value; a malformed
// extension throws DecodeError, which makes the whole certificate unusable.

import { DecodeError } from '../errors';
import {
  BasicConstraints,
  type BigNum,
  ExtKeyUsageSyntax,
  oidText,
  PolicyConstraints,
} from './asn1-schemas';
import {
  children,
  decodeOid,
  decodeSmallUint,
  parseDer,
  TagClass,
  type Tlv,
  UniversalTag,
} from './der';
import { type GeneralName, parseGeneralName, parseGeneralNames } from './general-name';

export interface Extension {
  oid: string;
  critical: boolean;
  value: Buffer;
}

export interface BasicConstraintsInfo {
  ca: boolean;
  pathLen?: number;
}

/** RFC 5280, Section 4.2.1.9. cA FALSE must be left out in DER, not written. */
export function decodeBasicConstraints(der: Buffer): BasicConstraintsInfo {
  const tlv = parseDer(der, 'basicConstraints');
  const parts = sequenceChildren(tlv, 'basicConstraints');
  if (parts[0]?.tag === UniversalTag.boolean && parts[0].value[0] === 0) {
    throw new DecodeError('basicConstraints encodes the default cA FALSE');
  }
  const value = decodeWith(() => BasicConstraints.decode(der, 'der'), 'basicConstraints');
  const pathLen = value.pathLenConstraint;
  if (pathLen === undefined) return { ca: value.cA };
  return { ca: value.cA, pathLen: smallUint(pathLen, 'pathLenConstraint') };
}

export const KeyUsageBits = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsageName = (typeof KeyUsageBits)[number];

/** RFC 5280, Section 4.2.1.3: the named bits that are set; at least one must be. */
export function decodeKeyUsage(der: Buffer): Set<KeyUsageName> {
  const tlv = parseDer(der, 'keyUsage');
  if (tlv.cls !== TagClass.universal || tlv.tag !== UniversalTag.bitString) {
    throw new DecodeError('keyUsage is not a BIT STRING');
  }
  const bits = tlv.value.subarray(1);
  const set = new Set<KeyUsageName>();
  KeyUsageBits.forEach((name, i) => {
    const byte = bits[i >> 3] ?? 0;
    if (byte & (0x80 >> (i & 7))) set.add(name);
  });
  if (set.size === 0) throw new DecodeError('keyUsage has no bit set');
  return set;
}

/** RFC 5280, Section 4.2.1.12: the key purposes, at least one. */
export function decodeExtKeyUsage(der: Buffer): string[] {
  const tlv = parseDer(der, 'extKeyUsage');
  const parts = sequenceChildren(tlv, 'extKeyUsage');
  if (parts.length === 0) throw new DecodeError('extKeyUsage is empty');
  return decodeWith(() => ExtKeyUsageSyntax.decode(der, 'der'), 'extKeyUsage').map(oidText);
}

/** RFC 5280, Section 4.2.1.6. */
export function decodeSubjectAltName(der: Buffer): GeneralName[] {
  return parseGeneralNames(parseDer(der, 'subjectAltName'), 'subjectAltName');
}

export interface GeneralSubtree {
  base: GeneralName;
}

export interface NameConstraintsInfo {
  permitted?: GeneralSubtree[];
  excluded?: GeneralSubtree[];
}

/**
 * RFC 5280, Section 4.2.1.10. At least one of the two lists, each non-empty; minimum must be
 * zero and maximum absent, as the profile requires.
 */
export function decodeNameConstraints(der: Buffer): NameConstraintsInfo {
  const parts = sequenceChildren(parseDer(der, 'nameConstraints'), 'nameConstraints');
  if (parts.length === 0) throw new DecodeError('nameConstraints has neither list');
  const info: NameConstraintsInfo = {};
  let lastTag = -1;
  for (const part of parts) {
    if (part.cls !== TagClass.context || part.tag > 1 || part.tag <= lastTag) {
      throw new DecodeError('nameConstraints has an unexpected element');
    }
    lastTag = part.tag;
    const subtrees = children(part).map(decodeSubtree);
    if (subtrees.length === 0) throw new DecodeError('nameConstraints has an empty subtree list');
    if (part.tag === 0) info.permitted = subtrees;
    else info.excluded = subtrees;
  }
  return info;
}

function decodeSubtree(tlv: Tlv): GeneralSubtree {
  const parts = sequenceChildren(tlv, 'GeneralSubtree');
  if (parts.length !== 1) {
    throw new DecodeError('GeneralSubtree has minimum or maximum, which RFC 5280 forbids');
  }
  return { base: parseGeneralName(parts[0]) };
}

export interface AuthorityKeyIdentifierInfo {
  keyIdentifier?: Buffer;
  authorityCertIssuer?: GeneralName[];
  authorityCertSerialNumber?: Buffer;
}

/** RFC 5280, Section 4.2.1.1. */
export function decodeAuthorityKeyIdentifier(der: Buffer): AuthorityKeyIdentifierInfo {
  const parts = sequenceChildren(parseDer(der, 'authorityKeyIdentifier'), 'authorityKeyIdentifier');
  const info: AuthorityKeyIdentifierInfo = {};
  let lastTag = -1;
  for (const part of parts) {
    if (part.cls !== TagClass.context || part.tag > 2 || part.tag <= lastTag) {
      throw new DecodeError('authorityKeyIdentifier has an unexpected element');
    }
    lastTag = part.tag;
    if (part.tag === 0) info.keyIdentifier = primitive(part, 'keyIdentifier');
    if (part.tag === 1) info.authorityCertIssuer = parseGeneralNames(part, 'authorityCertIssuer');
    if (part.tag === 2) info.authorityCertSerialNumber = primitive(part, 'serial');
  }
  const issuerAndSerial = info.authorityCertIssuer !== undefined;
  if (issuerAndSerial !== (info.authorityCertSerialNumber !== undefined)) {
    throw new DecodeError('authorityKeyIdentifier has an issuer without a serial or the reverse');
  }
  return info;
}

/** RFC 5280, Section 4.2.1.2. */
export function decodeSubjectKeyIdentifier(der: Buffer): Buffer {
  const tlv = parseDer(der, 'subjectKeyIdentifier');
  if (tlv.cls !== TagClass.universal || tlv.tag !== UniversalTag.octetString) {
    throw new DecodeError('subjectKeyIdentifier is not an OCTET STRING');
  }
  return tlv.value;
}

export interface PolicyConstraintsInfo {
  requireExplicitPolicy?: number;
  inhibitPolicyMapping?: number;
}

/** RFC 5280, Section 4.2.1.11: at least one field. */
export function decodePolicyConstraints(der: Buffer): PolicyConstraintsInfo {
  const parts = sequenceChildren(parseDer(der, 'policyConstraints'), 'policyConstraints');
  if (parts.length === 0) throw new DecodeError('policyConstraints is empty');
  const value = decodeWith(() => PolicyConstraints.decode(der, 'der'), 'policyConstraints');
  const info: PolicyConstraintsInfo = {};
  if (value.requireExplicitPolicy) {
    info.requireExplicitPolicy = smallUint(value.requireExplicitPolicy, 'requireExplicitPolicy');
  }
  if (value.inhibitPolicyMapping) {
    info.inhibitPolicyMapping = smallUint(value.inhibitPolicyMapping, 'inhibitPolicyMapping');
  }
  return info;
}

/** RFC 5280, Section 4.2.1.4: the policy OIDs, each at most once; qualifiers are ignored. */
export function decodeCertificatePolicies(der: Buffer): string[] {
  const parts = sequenceChildren(parseDer(der, 'certificatePolicies'), 'certificatePolicies');
  if (parts.length === 0) throw new DecodeError('certificatePolicies is empty');
  const oids = parts.map((info) => {
    const fields = sequenceChildren(info, 'PolicyInformation');
    const [id] = fields;
    if (fields.length > 2 || id?.tag !== UniversalTag.objectIdentifier) {
      throw new DecodeError('PolicyInformation is malformed');
    }
    return decodeOid(id.value);
  });
  if (new Set(oids).size !== oids.length) {
    throw new DecodeError('certificatePolicies repeats a policy');
  }
  return oids;
}

/** RFC 5280, Section 4.2.1.5: pairs of issuerDomainPolicy and subjectDomainPolicy. */
export function decodePolicyMappings(der: Buffer): Array<[string, string]> {
  const parts = sequenceChildren(parseDer(der, 'policyMappings'), 'policyMappings');
  if (parts.length === 0) throw new DecodeError('policyMappings is empty');
  return parts.map((pair) => {
    const fields = sequenceChildren(pair, 'policy mapping');
    const isOid = (f: Tlv) =>
      f.cls === TagClass.universal && f.tag === UniversalTag.objectIdentifier;
    if (fields.length !== 2 || !fields.every(isOid)) {
      throw new DecodeError('policy mapping is malformed');
    }
    return [decodeOid(fields[0].value), decodeOid(fields[1].value)];
  });
}

/** RFC 5280, Section 4.2.1.14: SkipCerts, a non-negative INTEGER. */
export function decodeInhibitAnyPolicy(der: Buffer): number {
  const tlv = parseDer(der, 'inhibitAnyPolicy');
  if (tlv.cls !== TagClass.universal || tlv.tag !== UniversalTag.integer) {
    throw new DecodeError('inhibitAnyPolicy is not an INTEGER');
  }
  return decodeSmallUint(tlv.value, 'inhibitAnyPolicy');
}

/** RFC 5280, Section 4.2.2.1: SEQUENCE SIZE (1..MAX) OF AccessDescription. */
export interface AccessDescription {
  method: string;
  location: GeneralName;
}

export function decodeAuthorityInfoAccess(der: Buffer): AccessDescription[] {
  const parts = sequenceChildren(parseDer(der, 'authorityInfoAccess'), 'authorityInfoAccess');
  if (parts.length === 0) throw new DecodeError('authorityInfoAccess is empty');
  return parts.map((part) => {
    const fields = sequenceChildren(part, 'AccessDescription');
    if (fields.length !== 2 || fields[0].tag !== UniversalTag.objectIdentifier) {
      throw new DecodeError('AccessDescription is malformed');
    }
    return { method: decodeOid(fields[0].value), location: parseGeneralName(fields[1]) };
  });
}

function sequenceChildren(tlv: Tlv, what: string): Tlv[] {
  if (tlv.cls !== TagClass.universal || tlv.tag !== UniversalTag.sequence) {
    throw new DecodeError(`${what} is not a SEQUENCE`);
  }
  return children(tlv);
}

function primitive(tlv: Tlv, what: string): Buffer {
  if (tlv.constructed) throw new DecodeError(`${what} is constructed`);
  return tlv.value;
}

function smallUint(value: BigNum, what: string): number {
  if (value.isNeg()) throw new DecodeError(`${what} is negative`);
  return decodeSmallUint(value.toArrayLike(Buffer, 'be'), what);
}

function decodeWith<T>(decode: () => T, what: string): T {
  try {
    return decode();
  } catch (err) {
    throw new DecodeError(`${what} does not match its ASN.1 definition: ${(err as Error).message}`);
  }
}
