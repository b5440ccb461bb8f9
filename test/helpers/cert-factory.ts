// An in-process certificate factory for tests: asn1.js encodes, node:crypto signs.
//
// Use it to make valid, expired, untrusted, wrongly named or otherwise broken certificates
// without touching the file system or the openssl CLI:
//
//   import { makeCa, makeLeaf } from '../helpers/cert-factory';
//   const root = makeCa({ commonName: 'Test Root' });
//   const ica = makeCa({ commonName: 'Test ICA', issuer: root });
//   const leaf = makeLeaf({ issuer: ica, dns: ['localhost'], ip: ['127.0.0.1'] });
//   verifyCertificateChain({ leaf: leaf.certPem, intermediates: [ica.certPem],
//     trusted: [root.certPem], name: 'localhost', purpose: 'server' });
//
// Every result is an `Issued`: { certPem, certDer, keyPem, key, certificate }. Options cover
// names and SANs, validity, CA flag and pathLen, keyUsage, extKeyUsage, name constraints, key
// type (ec-p256, ec-p384, ec-p521, rsa-2048, rsa-pss, ed25519, ed448, or any KeyObject), the
// issuer, and deliberate faults (a corrupted signature, extra or unknown critical extensions,
// missing key identifiers). Without `issuer`, a certificate is self-signed. Defaults: valid
// from one hour ago for 30 days, EC P-256, serial random, SKI and AKI present.

import * as asn1 from 'asn1.js';
import {
  constants,
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import { isIP } from 'node:net';

import { type Certificate, parseCertificate } from '../../lib/pki/certificate';
import { ipToBytes } from '../../lib/pki/identity';
import { encodePem } from '../../lib/pki/pem';

export type KeyType =
  'ec-p256' | 'ec-p384' | 'ec-p521' | 'rsa-2048' | 'rsa-pss' | 'ed25519' | 'ed448';

export type KeyUsageName =
  | 'digitalSignature' | 'nonRepudiation' | 'keyEncipherment' | 'dataEncipherment'
  | 'keyAgreement' | 'keyCertSign' | 'cRLSign' | 'encipherOnly' | 'decipherOnly';

export interface Issued {
  certPem: string;
  certDer: Buffer;
  keyPem: string;
  /** The private key. */
  key: KeyObject;
  certificate: Certificate;
}

export interface Subtrees {
  dns?: string[];
  /** CIDR text such as "10.0.0.0/8" or "2001:db8::/32". */
  ip?: string[];
  email?: string[];
  /** Hosts ("host.test") or domains (".example.com") for URIs. */
  uri?: string[];
}

export interface ExtraExtension {
  oid: string;
  critical?: boolean;
  /** The extnValue contents (DER of the extension's own structure). */
  value: Buffer;
}

export interface CertOptions {
  /** The subject CN; ignored when `subject` is given. */
  commonName?: string;
  /** Subject attributes in DER order, e.g. [['O', 'tls13'], ['CN', 'x']]. */
  subject?: Array<[string, string]>;
  issuer?: Issued;
  dns?: string[];
  ip?: string[];
  email?: string[];
  uri?: string[];
  notBefore?: Date;
  notAfter?: Date;
  isCA?: boolean;
  pathLen?: number;
  /** false leaves basicConstraints out. */
  basicConstraints?: boolean;
  basicConstraintsCritical?: boolean;
  /** false leaves keyUsage out. */
  keyUsage?: KeyUsageName[] | false;
  /** Names ('serverAuth', 'clientAuth', 'any') or OIDs; false leaves extKeyUsage out. */
  eku?: string[] | false;
  ekuCritical?: boolean;
  permitted?: Subtrees;
  excluded?: Subtrees;
  keyType?: KeyType;
  /** A private key to certify instead of a fresh one. */
  key?: KeyObject;
  /** Digest for RSA and ECDSA signatures; default by the issuer's key. */
  hash?: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  serial?: Buffer;
  omitSubjectKeyId?: boolean;
  omitAuthorityKeyId?: boolean;
  extensions?: ExtraExtension[];
  /** Flip a bit of the signature. */
  corruptSignature?: boolean;
  /** Write both validity times as GeneralizedTime, which RFC 5280 forbids before 2050. */
  generalizedTime?: boolean;
}

const OID: Readonly<Record<string, string>> = {
  CN: '2.5.4.3', C: '2.5.4.6', L: '2.5.4.7', ST: '2.5.4.8', O: '2.5.4.10', OU: '2.5.4.11',
  serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2', any: '2.5.29.37.0',
};

const KEY_USAGE_BITS: readonly KeyUsageName[] = [
  'digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement',
  'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
];

// ---- asn1.js schemas for encoding ----

const arcs = (oid: string): number[] => oid.split('.').map(Number);

const AlgorithmIdentifier = asn1.define('AlgorithmIdentifier', function () {
  this.seq().obj(this.key('algorithm').objid(), this.key('parameters').optional().any());
});

const AttributeTypeAndValue = asn1.define('AttributeTypeAndValue', function () {
  this.seq().obj(this.key('type').objid(), this.key('value').any());
});

const RelativeDistinguishedName = asn1.define('RDN', function () {
  this.setof(AttributeTypeAndValue);
});

const Name = asn1.define('Name', function () {
  this.seqof(RelativeDistinguishedName);
});

const Extension = asn1.define('Extension', function () {
  this.seq().obj(
    this.key('extnID').objid(),
    this.key('critical').bool().def(false),
    this.key('extnValue').octstr(),
  );
});

const Extensions = asn1.define('Extensions', function () {
  this.seqof(Extension);
});

const TBSCertificate = asn1.define('TBSCertificate', function () {
  this.seq().obj(
    this.key('version').explicit(0).int(),
    this.key('serialNumber').int(),
    this.key('signature').use(AlgorithmIdentifier),
    this.key('issuer').any(),
    this.key('validity').seq().obj(this.key('notBefore').any(), this.key('notAfter').any()),
    this.key('subject').any(),
    this.key('subjectPublicKeyInfo').any(),
    this.key('extensions').explicit(3).optional().use(Extensions),
  );
});

const CertificateSchema = asn1.define('Certificate', function () {
  this.seq().obj(
    this.key('tbsCertificate').any(),
    this.key('signatureAlgorithm').use(AlgorithmIdentifier),
    this.key('signatureValue').bitstr(),
  );
});

const BasicConstraints = asn1.define('BasicConstraints', function () {
  this.seq().obj(this.key('cA').bool().def(false), this.key('pathLen').optional().int());
});

const ObjectIdentifier = asn1.define('OID', function () {
  this.objid();
});

const ExtKeyUsage = asn1.define('ExtKeyUsage', function () {
  this.seqof(ObjectIdentifier);
});

const GeneralName = asn1.define('GeneralName', function () {
  this.choice({
    rfc822Name: this.implicit(1).ia5str(),
    dNSName: this.implicit(2).ia5str(),
    uniformResourceIdentifier: this.implicit(6).ia5str(),
    iPAddress: this.implicit(7).octstr(),
  });
});

const GeneralNames = asn1.define('GeneralNames', function () {
  this.seqof(GeneralName);
});

const GeneralSubtree = asn1.define('GeneralSubtree', function () {
  this.seq().obj(this.key('base').use(GeneralName));
});

const GeneralSubtrees = asn1.define('GeneralSubtrees', function () {
  this.seqof(GeneralSubtree);
});

const NameConstraints = asn1.define('NameConstraints', function () {
  this.seq().obj(
    this.key('permitted').implicit(0).optional().use(GeneralSubtrees),
    this.key('excluded').implicit(1).optional().use(GeneralSubtrees),
  );
});

const AuthorityKeyIdentifier = asn1.define('AuthorityKeyIdentifier', function () {
  this.seq().obj(this.key('keyIdentifier').implicit(0).optional().octstr());
});

const OctetString = asn1.define('OctetString', function () {
  this.octstr();
});

const BitString = asn1.define('BitString', function () {
  this.bitstr();
});

const RsassaPssParams = asn1.define('RSASSA-PSS-params', function () {
  this.seq().obj(
    this.key('hashAlgorithm').explicit(0).use(AlgorithmIdentifier),
    this.key('maskGenAlgorithm').explicit(1).use(AlgorithmIdentifier),
    this.key('saltLength').explicit(2).int(),
  );
});

// ---- small DER helpers ----

/** One DER element with a short or long length. */
export function derTlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let header: Buffer;
  if (n < 0x80) header = Buffer.from([tag, n]);
  else if (n < 0x100) header = Buffer.from([tag, 0x81, n]);
  else if (n < 0x10000) header = Buffer.from([tag, 0x82, n >> 8, n & 0xff]);
  else header = Buffer.from([tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([header, content]);
}

/** RFC 5280, Section 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
export function derTime(date: Date, generalized = false): Buffer {
  const iso = date.toISOString();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  const year = date.getUTCFullYear();
  if (year < 2050 && !generalized) {
    return derTlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'latin1'));
  }
  return derTlv(0x18, Buffer.from(`${digits}Z`, 'latin1'));
}

/** The DER of a Name from attributes in DER order. */
export function derName(attributes: Array<[string, string]>): Buffer {
  return Name.encode(
    attributes.map(([type, value]) => [{
      type: arcs(OID[type] ?? type),
      value: derTlv(type === 'C' ? 0x13 : 0x0c, Buffer.from(value, 'utf8')),
    }]),
    'der',
  );
}

// ---- keys and signatures ----

let counter = 0;

/** A fresh key pair of the given type. */
export function generateKey(type: KeyType = 'ec-p256'): KeyObject {
  switch (type) {
    case 'ec-p256':
    case 'ec-p384':
    case 'ec-p521':
      return generateKeyPairSync('ec', { namedCurve: `P-${type.slice(4)}` }).privateKey;
    case 'rsa-2048':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    case 'rsa-pss':
      return generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey;
    case 'ed25519':
      return generateKeyPairSync('ed25519').privateKey;
    case 'ed448':
      return generateKeyPairSync('ed448').privateKey;
  }
}

const SIG = {
  ecdsa: {
    sha1: '1.2.840.10045.4.1',
    sha256: '1.2.840.10045.4.3.2',
    sha384: '1.2.840.10045.4.3.3',
    sha512: '1.2.840.10045.4.3.4',
  },
  rsa: {
    sha1: '1.2.840.113549.1.1.5',
    sha256: '1.2.840.113549.1.1.11',
    sha384: '1.2.840.113549.1.1.12',
    sha512: '1.2.840.113549.1.1.13',
  },
} as const;

const HASH_OID = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;
const HASH_LENGTH = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 } as const;
const NULL = Buffer.from([0x05, 0x00]);

type Hash = keyof typeof HASH_OID;

interface Signer {
  algorithm: { algorithm: number[]; parameters?: Buffer };
  sign(data: Buffer): Buffer;
}

function signerFor(key: KeyObject, wanted?: Hash): Signer {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519' || type === 'ed448') {
    const oid = type === 'ed25519' ? '1.3.101.112' : '1.3.101.113';
    return { algorithm: { algorithm: arcs(oid) }, sign: (data) => sign(null, data, key) };
  }
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const byCurve: Record<string, Hash> = { secp384r1: 'sha384', secp521r1: 'sha512' };
    const hash = wanted ?? byCurve[curve ?? ''] ?? 'sha256';
    return {
      algorithm: { algorithm: arcs(SIG.ecdsa[hash]) },
      sign: (data) => sign(hash, data, key),
    };
  }
  const hash: Hash = wanted ?? 'sha256';
  if (type === 'rsa-pss') {
    const hashAlg = { algorithm: arcs(HASH_OID[hash]), parameters: NULL };
    const parameters = RsassaPssParams.encode({
      hashAlgorithm: hashAlg,
      maskGenAlgorithm: {
        algorithm: arcs('1.2.840.113549.1.1.8'),
        parameters: AlgorithmIdentifier.encode(hashAlg, 'der'),
      },
      saltLength: HASH_LENGTH[hash],
    }, 'der');
    const padding = constants.RSA_PKCS1_PSS_PADDING;
    const options = { key, padding, saltLength: HASH_LENGTH[hash] };
    return {
      algorithm: { algorithm: arcs('1.2.840.113549.1.1.10'), parameters },
      sign: (data) => sign(hash, data, options),
    };
  }
  return {
    algorithm: { algorithm: arcs(SIG.rsa[hash]), parameters: NULL },
    sign: (data) => sign(hash, data, key),
  };
}

function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha1').update(spki).digest();
}

// ---- extensions ----

function ipBytes(text: string): Buffer {
  if (!isIP(text)) throw new Error(`cert-factory: "${text}" is not an IP address`);
  return ipToBytes(text);
}

function cidrBytes(cidr: string): Buffer {
  const [address, bitsText] = cidr.split('/');
  const addr = ipBytes(address);
  const bits = Number(bitsText ?? addr.length * 8);
  const mask = Buffer.alloc(addr.length);
  for (let i = 0; i < bits; i++) mask[i >> 3] |= 0x80 >> (i & 7);
  return Buffer.concat([addr, mask]);
}

function subtrees(trees: Subtrees | undefined) {
  if (!trees) return undefined;
  return [
    ...(trees.dns ?? []).map((v) => ({ base: { type: 'dNSName', value: v } })),
    ...(trees.ip ?? []).map((v) => ({ base: { type: 'iPAddress', value: cidrBytes(v) } })),
    ...(trees.email ?? []).map((v) => ({ base: { type: 'rfc822Name', value: v } })),
    ...(trees.uri ?? []).map((v) => ({ base: { type: 'uniformResourceIdentifier', value: v } })),
  ];
}

function keyUsageBits(names: KeyUsageName[]): { unused: number; data: Buffer } {
  const indexes = names.map((n) => KEY_USAGE_BITS.indexOf(n));
  const last = Math.max(...indexes);
  const data = Buffer.alloc((last >> 3) + 1);
  for (const i of indexes) data[i >> 3] |= 0x80 >> (i & 7);
  // DER drops trailing zero bits of a named bit list (X.690, Section 11.2.2).
  return { unused: 7 - (last & 7), data };
}

interface Ext {
  extnID: number[];
  critical: boolean;
  extnValue: Buffer;
}

function ext(oid: string, critical: boolean, value: Buffer): Ext {
  return { extnID: arcs(oid), critical, extnValue: value };
}

function buildExtensions(
  opts: CertOptions,
  isCA: boolean,
  subjectKey: KeyObject,
  issuerKey: KeyObject,
): Ext[] {
  const list: Ext[] = [];
  if (opts.basicConstraints !== false && (isCA || opts.basicConstraints)) {
    const value = BasicConstraints.encode({ cA: isCA, pathLen: opts.pathLen }, 'der');
    list.push(ext('2.5.29.19', opts.basicConstraintsCritical ?? true, value));
  }
  const ku = opts.keyUsage ?? (isCA ? ['keyCertSign', 'cRLSign'] : ['digitalSignature']);
  if (ku !== false) list.push(ext('2.5.29.15', true, BitString.encode(keyUsageBits(ku), 'der')));
  const eku = opts.eku ?? (isCA ? false : ['serverAuth', 'clientAuth']);
  if (eku !== false) {
    const value = ExtKeyUsage.encode(eku.map((e) => arcs(OID[e] ?? e)), 'der');
    list.push(ext('2.5.29.37', opts.ekuCritical ?? false, value));
  }
  const sans = [
    ...(opts.dns ?? []).map((v) => ({ type: 'dNSName', value: v })),
    ...(opts.ip ?? []).map((v) => ({ type: 'iPAddress', value: ipBytes(v) })),
    ...(opts.email ?? []).map((v) => ({ type: 'rfc822Name', value: v })),
    ...(opts.uri ?? []).map((v) => ({ type: 'uniformResourceIdentifier', value: v })),
  ];
  if (sans.length > 0) list.push(ext('2.5.29.17', false, GeneralNames.encode(sans, 'der')));
  if (opts.permitted || opts.excluded) {
    const constraints = { permitted: subtrees(opts.permitted), excluded: subtrees(opts.excluded) };
    const value = NameConstraints.encode(constraints, 'der');
    list.push(ext('2.5.29.30', true, value));
  }
  if (!opts.omitSubjectKeyId) {
    const ski = keyIdentifier(createPublicKey(subjectKey));
    list.push(ext('2.5.29.14', false, OctetString.encode(ski, 'der')));
  }
  if (!opts.omitAuthorityKeyId && opts.issuer) {
    const keyId = keyIdentifier(createPublicKey(issuerKey));
    const value = AuthorityKeyIdentifier.encode({ keyIdentifier: keyId }, 'der');
    list.push(ext('2.5.29.35', false, value));
  }
  for (const extra of opts.extensions ?? []) {
    list.push(ext(extra.oid, extra.critical ?? false, extra.value));
  }
  return list;
}

// ---- certificates ----

/** Makes one certificate; `makeCa` and `makeLeaf` set the defaults of each kind. */
export function makeCertificate(opts: CertOptions = {}): Issued {
  const key = opts.key ?? generateKey(opts.keyType);
  const isCA = opts.isCA ?? false;
  const subject = derName(opts.subject ?? [['CN', opts.commonName ?? `tls13 test ${++counter}`]]);
  const issuerKey = opts.issuer?.key ?? key;
  const issuerName = opts.issuer ? opts.issuer.certificate.subject : subject;
  const signer = signerFor(issuerKey, opts.hash);
  const notBefore = opts.notBefore ?? new Date(Date.now() - 3600_000);
  const notAfter = opts.notAfter ?? new Date(notBefore.getTime() + 30 * 86400_000);
  const serial = opts.serial ?? Buffer.concat([Buffer.from([0x01]), randomBytes(15)]);

  const tbs = TBSCertificate.encode({
    version: 2,
    serialNumber: new asn1.bignum(serial),
    signature: signer.algorithm,
    issuer: issuerName,
    validity: {
      notBefore: derTime(notBefore, opts.generalizedTime),
      notAfter: derTime(notAfter, opts.generalizedTime),
    },
    subject,
    subjectPublicKeyInfo: createPublicKey(key).export({ type: 'spki', format: 'der' }),
    extensions: buildExtensions(opts, isCA, key, issuerKey),
  }, 'der');
  const signature = signer.sign(tbs);
  if (opts.corruptSignature) signature[signature.length - 1] ^= 0x01;
  const certDer = CertificateSchema.encode({
    tbsCertificate: tbs,
    signatureAlgorithm: signer.algorithm,
    signatureValue: { unused: 0, data: signature },
  }, 'der');
  return issued(certDer, key);
}

// `certificate` is parsed on first use, so that a deliberately malformed certificate can still
// be made and handed to the code under test.
function issued(certDer: Buffer, key: KeyObject): Issued {
  let parsed: Certificate | undefined;
  return {
    certDer,
    certPem: encodePem('CERTIFICATE', certDer),
    keyPem: key.export({ type: 'pkcs8', format: 'pem' }) as string,
    key,
    get certificate(): Certificate {
      parsed ??= parseCertificate(certDer);
      return parsed;
    },
  };
}

/** A CA certificate: basicConstraints cA (critical), keyUsage keyCertSign and cRLSign. */
export function makeCa(opts: CertOptions = {}): Issued {
  return makeCertificate({ commonName: `tls13 test CA ${++counter}`, ...opts, isCA: true });
}

/**
 * An end-entity certificate: keyUsage digitalSignature, extKeyUsage serverAuth and clientAuth
 * unless `eku` says otherwise, and `localhost` as its DNS name when no SAN is given.
 */
export function makeLeaf(opts: CertOptions = {}): Issued {
  const named = opts.dns || opts.ip || opts.email || opts.uri;
  return makeCertificate({
    commonName: opts.dns?.[0] ?? 'localhost',
    ...opts,
    dns: named ? opts.dns : ['localhost'],
    isCA: opts.isCA ?? false,
  });
}

/** A root, an intermediate under it and a leaf under that, for the common case. */
export function makeChain(leafOpts: CertOptions = {}): {
  root: Issued;
  intermediate: Issued;
  leaf: Issued;
} {
  const root = makeCa({ commonName: 'tls13 test root' });
  const intermediate = makeCa({ commonName: 'tls13 test intermediate', issuer: root });
  const leaf = makeLeaf({ issuer: intermediate, ...leafOpts });
  return { root, intermediate, leaf };
}
