// X.509 certificates (RFC 5280, Section 4.1), parsed strictly and once.
//
// The structure is read with our DER reader so that the signed bytes, names and key come out
// exactly as they were sent; extensions are decoded into plain values up front, so path
// validation reads fields instead of parsing. Node's X509Certificate, which costs about 100
// microseconds, is built only when asked for (getPeerCertificate, for one).

import { type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';

import { DecodeError, TlsConfigError } from '../errors';
import { children, decodeOid, decodeTime, parseDer, TagClass, type Tlv, UniversalTag } from './der';
import {
  type AuthorityKeyIdentifierInfo,
  type BasicConstraintsInfo,
  decodeAuthorityInfoAccess,
  decodeAuthorityKeyIdentifier,
  decodeBasicConstraints,
  decodeCertificatePolicies,
  decodeExtKeyUsage,
  decodeInhibitAnyPolicy,
  decodeKeyUsage,
  decodeNameConstraints,
  decodePolicyConstraints,
  decodePolicyMappings,
  decodeSubjectAltName,
  decodeSubjectKeyIdentifier,
  type Extension,
  type KeyUsageName,
  type NameConstraintsInfo,
  type PolicyConstraintsInfo,
} from './extensions';
import { formatIp, type GeneralName } from './general-name';
import { type DistinguishedName, lastAttribute, namesEqual, nameToText, parseName } from './name';
import { Oid } from './oids';
import { decodePem, looksLikePem } from './pem';
import { type KeyKind, type NamedCurve, parsePublicKeyInfo, publicKeyObject } from './public-key';
import {
  fingerprint256,
  parseSignatureAlgorithm,
  type SignatureAlgorithm,
  verifySignature,
} from './signature';

export type { KeyKind, NamedCurve };

// The pieces of a TBSCertificate that the constructor turns into fields.
interface TbsParts {
  version: number;
  serial: Tlv;
  signature: Tlv;
  issuer: Tlv;
  validity: Tlv;
  subject: Tlv;
  spki: Tlv;
  extensions?: Tlv;
}

export class Certificate {
  readonly der: Buffer;
  /** The signed part, whose signature `isIssuedBy` checks. */
  readonly tbs: Buffer;
  readonly version: number;
  /** Contents of the serialNumber INTEGER, as encoded (big-endian, two's complement). */
  readonly serialNumber: Buffer;
  readonly subject: Buffer;
  readonly issuer: Buffer;
  readonly subjectName: DistinguishedName;
  readonly issuerName: DistinguishedName;
  readonly subjectText: string;
  readonly issuerText: string;
  readonly spki: Buffer;
  readonly keyKind: KeyKind;
  readonly namedCurve?: NamedCurve;
  readonly keyBits?: number;
  /** The algorithm of the signature on this certificate. */
  readonly signature: SignatureAlgorithm;
  readonly signatureValue: Buffer;
  /** The TLS SignatureScheme name of that signature, for signature_algorithms_cert. */
  readonly signatureAlgorithm: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: ReadonlyMap<string, Extension>;
  readonly basicConstraints?: BasicConstraintsInfo;
  readonly isCA: boolean;
  readonly pathLen?: number;
  readonly keyUsage?: ReadonlySet<KeyUsageName>;
  readonly extKeyUsage?: readonly string[];
  readonly subjectAltNames?: readonly GeneralName[];
  readonly dnsNames: string[];
  readonly ipAddresses: string[];
  readonly emailAddresses: string[];
  readonly nameConstraints?: NameConstraintsInfo;
  readonly authorityKeyIdentifier?: AuthorityKeyIdentifierInfo;
  readonly subjectKeyIdentifier?: Buffer;
  readonly policyConstraints?: PolicyConstraintsInfo;
  readonly certificatePolicies?: readonly string[];
  readonly policyMappings?: ReadonlyArray<[string, string]>;
  readonly inhibitAnyPolicy?: number;
  /**
   * Departures from RFC 5280's DER profile that we tolerate when parsing, because some
   * bundled roots have them, and that path validation refuses in certificates not trusted.
   */
  readonly encodingIssues: readonly string[];

  #x509: X509Certificate | undefined;
  #publicKey: KeyObject | undefined;
  #fingerprint256: string | undefined;
  // Outcome of signature checks by issuer; certificates are cached, so this spans handshakes.
  readonly #issuedBy = new WeakMap<Certificate, boolean>();

  /** One DER certificate, PEM refused; parseCertificate caches, this always parses. */
  constructor(der: Buffer) {
    this.der = Buffer.from(derBytes(der));
    const { tbs, signatureAlg, signatureValue } = splitCertificate(this.der);
    const parts = readTbs(tbs);
    this.tbs = tbs.raw;
    this.version = parts.version;
    this.serialNumber = parts.serial.value;

    this.signature = parseSignatureAlgorithm(signatureAlg);
    if (!signatureAlg.raw.equals(parts.signature.raw)) {
      throw new DecodeError("certificate signature algorithm differs from tbsCertificate's");
    }
    this.signatureValue = signatureValue;

    this.issuerName = parseName(parts.issuer);
    this.subjectName = parseName(parts.subject);
    this.issuer = this.issuerName.der;
    this.subject = this.subjectName.der;
    this.issuerText = nameToText(this.issuerName);
    this.subjectText = nameToText(this.subjectName);
    const issues: string[] = [];
    [this.notBefore, this.notAfter] = readValidity(parts.validity, issues);
    this.encodingIssues = issues;

    this.spki = parts.spki.raw;
    const key = parsePublicKeyInfo(parts.spki);
    this.keyKind = key.keyKind;
    if (key.namedCurve) this.namedCurve = key.namedCurve;
    if (key.keyBits !== undefined) this.keyBits = key.keyBits;
    this.signatureAlgorithm = this.#signatureScheme();

    this.extensions = readExtensions(parts.extensions, this.version);
    const ext = (oid: string) => this.extensions.get(oid)?.value;
    const decode = <T>(oid: string, fn: (der: Buffer) => T): T | undefined => {
      const value = ext(oid);
      return value === undefined ? undefined : fn(value);
    };
    this.basicConstraints = decode(Oid.basicConstraints, decodeBasicConstraints);
    this.isCA = this.basicConstraints?.ca === true;
    if (this.basicConstraints?.pathLen !== undefined) this.pathLen = this.basicConstraints.pathLen;
    this.keyUsage = decode(Oid.keyUsage, decodeKeyUsage);
    this.extKeyUsage = decode(Oid.extKeyUsage, decodeExtKeyUsage);
    this.subjectAltNames = decode(Oid.subjectAltName, decodeSubjectAltName);
    this.nameConstraints = decode(Oid.nameConstraints, decodeNameConstraints);
    this.authorityKeyIdentifier = decode(Oid.authorityKeyIdentifier, decodeAuthorityKeyIdentifier);
    this.subjectKeyIdentifier = decode(Oid.subjectKeyIdentifier, decodeSubjectKeyIdentifier);
    this.policyConstraints = decode(Oid.policyConstraints, decodePolicyConstraints);
    this.certificatePolicies = decode(Oid.certificatePolicies, decodeCertificatePolicies);
    this.policyMappings = decode(Oid.policyMappings, decodePolicyMappings);
    this.inhibitAnyPolicy = decode(Oid.inhibitAnyPolicy, decodeInhibitAnyPolicy);
    decode(Oid.authorityInfoAccess, decodeAuthorityInfoAccess);

    const sans = this.subjectAltNames ?? [];
    this.dnsNames = sans.flatMap((n) => (n.type === 'dNSName' ? [n.value] : []));
    this.ipAddresses = sans.flatMap((n) => (n.type === 'iPAddress' ? [formatIp(n.bytes)] : []));
    this.emailAddresses = sans.flatMap((n) => (n.type === 'rfc822Name' ? [n.value] : []));
  }

  /** Node's X509Certificate for the same bytes, built on first use. */
  get x509(): X509Certificate {
    this.#x509 ??= new X509Certificate(this.der);
    return this.#x509;
  }

  /** The subject's key; built on first use, throws DecodeError if OpenSSL refuses the key. */
  get publicKey(): KeyObject {
    this.#publicKey ??= publicKeyObject(this.spki, this.keyKind);
    return this.#publicKey;
  }

  /** Whether the key can be turned into a KeyObject at all. */
  get hasUsableKey(): boolean {
    try {
      return this.publicKey !== undefined;
    } catch {
      return false;
    }
  }

  get fingerprint256(): string {
    this.#fingerprint256 ??= fingerprint256(this.der);
    return this.#fingerprint256;
  }

  /** The most specific common name of the subject, for messages. */
  get commonName(): string | undefined {
    return lastAttribute(this.subjectName, Oid.commonName);
  }

  /** Subject and issuer are the same name (RFC 5280, Section 3.3: "self-issued"). */
  get isSelfIssued(): boolean {
    return namesEqual(this.subjectName, this.issuerName);
  }

  /** Self-issued and signed by its own key. */
  get isSelfSigned(): boolean {
    return this.isSelfIssued && this.isIssuedBy(this);
  }

  /** Whether `issuer`'s subject is our issuer name and its key verifies our signature. */
  isIssuedBy(issuer: Certificate): boolean {
    return this.issuerMatches(issuer) && this.isSignedBy(issuer);
  }

  /** Whether `candidate`'s subject is our issuer name (RFC 5280, Section 7.1 comparison). */
  issuerMatches(candidate: Certificate): boolean {
    return namesEqual(this.issuerName, candidate.subjectName);
  }

  /** Whether `issuer`'s key verifies our signature, whatever the names say; cached. */
  isSignedBy(issuer: Certificate): boolean {
    let verdict = this.#issuedBy.get(issuer);
    if (verdict === undefined) {
      verdict =
        issuer.hasUsableKey &&
        verifySignature(this.signature, this.tbs, this.signatureValue, issuer.publicKey);
      this.#issuedBy.set(issuer, verdict);
    }
    return verdict;
  }

  /**
   * The TLS SignatureScheme of the signature on this certificate once its issuer is known:
   * an RSASSA-PSS signature by an RSASSA-PSS key is rsa_pss_pss_*, by an RSA key rsa_pss_rsae_*.
   */
  signatureSchemeWith(issuer: Certificate): string {
    const { family, scheme } = this.signature;
    if (family === 'rsa-pss' && issuer.keyKind === 'rsa-pss') {
      return scheme.replace('rsa_pss_rsae_', 'rsa_pss_pss_');
    }
    return scheme;
  }

  /** The object node:tls returns from getPeerCertificate(), less the issuer links. */
  toLegacyObject(): object {
    return this.x509.toLegacyObject();
  }

  toString(): string {
    return this.subjectText;
  }

  // Keeps test failures and debug output to one line instead of every parsed field.
  [inspect.custom](): string {
    return `Certificate <${this.subjectText}> issued by <${this.issuerText}>`;
  }

  // RFC 8446, Section 4.2.3: an RSASSA-PSS signature is rsa_pss_pss_* when the signing key is
  // itself an RSASSA-PSS key. That key is the issuer's; we only know it for self-signed ones.
  #signatureScheme(): string {
    const { family, scheme } = this.signature;
    if (family === 'rsa-pss' && this.keyKind === 'rsa-pss' && this.isSelfIssued) {
      return scheme.replace('rsa_pss_rsae_', 'rsa_pss_pss_');
    }
    return scheme;
  }
}

function splitCertificate(der: Buffer): { tbs: Tlv; signatureAlg: Tlv; signatureValue: Buffer } {
  const cert = parseDer(der, 'certificate');
  const parts = isSequence(cert) ? children(cert) : [];
  if (parts.length !== 3 || !isSequence(parts[0]) || parts[2].tag !== UniversalTag.bitString) {
    throw new DecodeError('certificate is not a SEQUENCE of tbsCertificate, algorithm, signature');
  }
  if (parts[2].value[0] !== 0) throw new DecodeError('certificate signature has unused bits');
  return { tbs: parts[0], signatureAlg: parts[1], signatureValue: parts[2].value.subarray(1) };
}

function isSequence(tlv: Tlv): boolean {
  return tlv.cls === TagClass.universal && tlv.tag === UniversalTag.sequence;
}

// RFC 5280, Section 4.1: version is [0] EXPLICIT with DEFAULT v1, so DER leaves v1 out.
function readTbs(tbs: Tlv): TbsParts {
  const parts = children(tbs);
  let i = 0;
  let version = 1;
  if (parts[0]?.cls === TagClass.context && parts[0].tag === 0) {
    const inner = parts[0].constructed ? children(parts[0]) : [];
    const [value] = inner;
    if (inner.length !== 1 || value.tag !== UniversalTag.integer || value.value.length !== 1) {
      throw new DecodeError('certificate version is malformed');
    }
    version = inner[0].value[0] + 1;
    if (version === 1) throw new DecodeError('certificate encodes the default version v1');
    if (version > 3) throw new DecodeError(`certificate version v${version} is unknown`);
    i = 1;
  }
  const [serial, signature, issuer, validity, subject, spki, ...rest] = parts.slice(i);
  if (!spki || serial.tag !== UniversalTag.integer || !isSequence(validity)) {
    throw new DecodeError('tbsCertificate is missing fields');
  }
  const extensions = readTail(rest, version);
  return { version, serial, signature, issuer, validity, subject, spki, extensions };
}

// After the key come the optional unique identifiers [1] and [2] and the extensions [3].
function readTail(rest: Tlv[], version: number): Tlv | undefined {
  let last = 0;
  let extensions: Tlv | undefined;
  for (const tlv of rest) {
    if (tlv.cls !== TagClass.context || tlv.tag <= last || tlv.tag > 3) {
      throw new DecodeError('tbsCertificate has unexpected trailing fields');
    }
    if (version === 1) throw new DecodeError('v1 certificate has v2 or v3 fields');
    last = tlv.tag;
    if (tlv.tag === 3) extensions = tlv;
  }
  return extensions;
}

// RFC 5280, Section 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
function readValidity(validity: Tlv, issues: string[]): [Date, Date] {
  const times = children(validity);
  if (times.length !== 2) throw new DecodeError('validity must hold notBefore and notAfter');
  const [notBefore, notAfter] = times.map((tlv) => {
    const isTime = tlv.tag === UniversalTag.utcTime || tlv.tag === UniversalTag.generalizedTime;
    if (tlv.cls !== TagClass.universal || !isTime) {
      throw new DecodeError('validity time is malformed');
    }
    const date = decodeTime(tlv);
    const utcYears = date.getUTCFullYear() < 2050;
    if (utcYears !== (tlv.tag === UniversalTag.utcTime)) {
      issues.push(`validity time ${date.toISOString()} is a GeneralizedTime before 2050`);
    }
    return date;
  });
  return [notBefore, notAfter];
}

// RFC 5280, Section 4.2: extensions only in v3, at least one, each OID at most once.
function readExtensions(field: Tlv | undefined, version: number): Map<string, Extension> {
  const map = new Map<string, Extension>();
  if (!field) return map;
  if (version !== 3) throw new DecodeError('extensions appear in a certificate that is not v3');
  const outer = field.constructed ? children(field) : [];
  if (outer.length !== 1 || !isSequence(outer[0])) {
    throw new DecodeError('extensions are malformed');
  }
  const list = children(outer[0]);
  if (list.length === 0) throw new DecodeError('extensions list is empty');
  for (const item of list) {
    const ext = readExtension(item);
    if (map.has(ext.oid)) throw new DecodeError(`extension ${ext.oid} appears twice`);
    map.set(ext.oid, ext);
  }
  return map;
}

function readExtension(tlv: Tlv): Extension {
  const parts = isSequence(tlv) ? children(tlv) : [];
  if (parts.length < 2 || parts.length > 3 || parts[0].tag !== UniversalTag.objectIdentifier) {
    throw new DecodeError('extension is malformed');
  }
  const oid = decodeOid(parts[0].value);
  let critical = false;
  if (parts.length === 3) {
    if (parts[1].tag !== UniversalTag.boolean) {
      throw new DecodeError(`extension ${oid}: critical is not a BOOLEAN`);
    }
    critical = parts[1].value[0] !== 0;
    if (!critical) throw new DecodeError(`extension ${oid} encodes the default critical FALSE`);
  }
  const value = parts[parts.length - 1];
  if (value.tag !== UniversalTag.octetString || value.cls !== TagClass.universal) {
    throw new DecodeError(`extension ${oid}: extnValue is not an OCTET STRING`);
  }
  return { oid, critical, value: value.value };
}

const CACHE_LIMIT = 1024;
const cache = new Map<string, Certificate>();

/**
 * Parses one DER certificate, reusing the Certificate already made from the same bytes.
 * Throws DecodeError for malformed input and TlsConfigError for keys we cannot use, and for
 * PEM: the handshake parses the peer's certificates here, and the wire carries only DER
 * (RFC 8446, Section 4.4.2). loadCertificates reads PEM.
 */
export function parseCertificate(der: Buffer): Certificate {
  const key = derBytes(der).toString('latin1');
  const hit = cache.get(key);
  if (hit) return hit;
  const cert = new Certificate(der);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, cert);
  return cert;
}

/**
 * Certificates from PEM text (every CERTIFICATE block, text around them ignored) or DER. A
 * string that holds no PEM block is an error, never a file path; see readCertificateFile.
 */
export function loadCertificates(input: string | Buffer | Array<string | Buffer>): Certificate[] {
  if (Array.isArray(input)) return input.flatMap((item) => loadCertificates(item));
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw new TlsConfigError(
      'ERR_TLS13_INVALID_CERTIFICATE',
      `certificate input must be PEM text or DER bytes, not ${kindOf(input)}`,
    );
  }
  const text = typeof input === 'string' ? input : asPemText(input);
  if (text === undefined) return [parseOrExplain(input as Buffer, 'DER certificate')];
  const blocks = decodePem(text);
  const certs = blocks.filter((b) => b.label === 'CERTIFICATE' || b.label === 'X509 CERTIFICATE');
  if (certs.length === 0) {
    const found = blocks.length ? `only ${blocks.map((b) => b.label).join(', ')}` : 'no PEM block';
    throw new TlsConfigError('ERR_TLS13_INVALID_CERTIFICATE', `certificate input holds ${found}`);
  }
  return certs.map((block, i) => parseOrExplain(block.der, `PEM certificate ${i + 1}`));
}

/** Reads a PEM or DER certificate file (a chain file gives several). */
export function readCertificateFile(path: string): Certificate[] {
  return loadCertificates(readFileSync(path));
}

// A certificate's DER starts with 0x30 (SEQUENCE); anything else that holds a BEGIN line is
// PEM given where DER belongs, and is refused as such rather than by a DER detail.
function derBytes(input: unknown): Buffer {
  if (input instanceof Uint8Array) {
    const bytes = Buffer.isBuffer(input)
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (bytes[0] !== 0x30 && looksLikePem(bytes.toString('latin1'))) throw pemGiven();
    return bytes;
  }
  if (typeof input === 'string' && looksLikePem(input)) throw pemGiven();
  throw new TlsConfigError(
    'ERR_TLS13_INVALID_CERTIFICATE',
    `certificate: DER bytes expected, not ${kindOf(input)}`,
  );
}

// "a number", "an object", "undefined": what a JavaScript caller passed instead.
function kindOf(input: unknown): string {
  const kind = typeof input;
  return input == null ? String(input) : `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

function pemGiven(): TlsConfigError {
  return new TlsConfigError(
    'ERR_TLS13_INVALID_CERTIFICATE',
    'certificate: PEM given where DER is expected',
  );
}

// DER starts with 0x30 (SEQUENCE), which is also the character "0"; the BEGIN line decides.
function asPemText(buf: Buffer): string | undefined {
  const text = buf.toString('latin1');
  return looksLikePem(text) ? text : undefined;
}

function parseOrExplain(der: Buffer, what: string): Certificate {
  try {
    return parseCertificate(der);
  } catch (err) {
    if (err instanceof DecodeError || err instanceof TlsConfigError) {
      throw new TlsConfigError('ERR_TLS13_INVALID_CERTIFICATE', `${what}: ${err.message}`);
    }
    throw err;
  }
}
