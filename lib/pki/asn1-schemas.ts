// asn1.js schemas for the fixed-shape structures of X.509 extensions and key files.
//
// asn1.js is lenient about DER, so no schema here sees bytes that `parseDer` has not accepted
// first; see der.ts. CHOICEs told apart by context tags (GeneralName) are decoded in
// general-name.ts instead, because asn1.js ignores the tag class.

import * as asn1 from 'asn1.js';
import type { BigNum } from 'asn1.js';

export type { BigNum };

/** OBJECT IDENTIFIER as asn1.js decodes it: the arcs as numbers. */
export type ObjectId = number[];

export function oidText(arcs: ObjectId): string {
  return arcs.join('.');
}

export function oidArcs(dotted: string): ObjectId {
  return dotted.split('.').map(Number);
}

export interface AlgorithmIdentifierValue {
  algorithm: ObjectId;
  parameters?: Buffer;
}

export const AlgorithmIdentifier = asn1.define<AlgorithmIdentifierValue>(
  'AlgorithmIdentifier',
  function () {
    this.seq().obj(this.key('algorithm').objid(), this.key('parameters').optional().any());
  },
);

const ObjectIdentifier = asn1.define<ObjectId>('ObjectIdentifier', function () {
  this.objid();
});

// RFC 5280, Section 4.2.1.9.
export interface BasicConstraintsValue {
  cA: boolean;
  pathLenConstraint?: BigNum;
}

export const BasicConstraints = asn1.define<BasicConstraintsValue>('BasicConstraints', function () {
  this.seq().obj(this.key('cA').def(false).bool(), this.key('pathLenConstraint').optional().int());
});

// RFC 5280, Section 4.2.1.12.
export const ExtKeyUsageSyntax = asn1.define<ObjectId[]>('ExtKeyUsageSyntax', function () {
  this.seqof(ObjectIdentifier);
});

// RFC 5280, Section 4.2.1.11.
export interface PolicyConstraintsValue {
  requireExplicitPolicy?: BigNum;
  inhibitPolicyMapping?: BigNum;
}

export const PolicyConstraints = asn1.define<PolicyConstraintsValue>(
  'PolicyConstraints',
  function () {
    this.seq().obj(
      this.key('requireExplicitPolicy').implicit(0).optional().int(),
      this.key('inhibitPolicyMapping').implicit(1).optional().int(),
    );
  },
);

// RFC 4055, Section 3.1.
export interface RsassaPssParamsValue {
  hashAlgorithm?: AlgorithmIdentifierValue;
  maskGenAlgorithm?: AlgorithmIdentifierValue;
  saltLength?: BigNum;
  trailerField?: BigNum;
}

export const RsassaPssParams = asn1.define<RsassaPssParamsValue>('RSASSA-PSS-params', function () {
  this.seq().obj(
    this.key('hashAlgorithm').explicit(0).optional().use(AlgorithmIdentifier),
    this.key('maskGenAlgorithm').explicit(1).optional().use(AlgorithmIdentifier),
    this.key('saltLength').explicit(2).optional().int(),
    this.key('trailerField').explicit(3).optional().int(),
  );
});

// RFC 5958, Section 2 (PKCS#8 v1 and v2).
export interface OneAsymmetricKeyValue {
  version: BigNum;
  privateKeyAlgorithm: AlgorithmIdentifierValue;
  privateKey: Buffer;
}

const AnyElement = asn1.define<Buffer>('AnyElement', function () {
  this.any();
});

// An optional any() in asn1.js takes whatever element comes next, so the optional fields
// here and in ECPrivateKey are typed precisely instead.
export const OneAsymmetricKey = asn1.define<OneAsymmetricKeyValue>('OneAsymmetricKey', function () {
  this.seq().obj(
    this.key('version').int(),
    this.key('privateKeyAlgorithm').use(AlgorithmIdentifier),
    this.key('privateKey').octstr(),
    this.key('attributes').implicit(0).optional().setof(AnyElement),
    this.key('publicKey').implicit(1).optional().bitstr(),
  );
});

// RFC 5958, Section 3.
export interface EncryptedPrivateKeyInfoValue {
  encryptionAlgorithm: AlgorithmIdentifierValue;
  encryptedData: Buffer;
}

export const EncryptedPrivateKeyInfo = asn1.define<EncryptedPrivateKeyInfoValue>(
  'EncryptedPrivateKeyInfo',
  function () {
    this.seq().obj(
      this.key('encryptionAlgorithm').use(AlgorithmIdentifier),
      this.key('encryptedData').octstr(),
    );
  },
);

// RFC 8018, Appendix A.4.
export interface Pbes2ParamsValue {
  keyDerivationFunc: AlgorithmIdentifierValue;
  encryptionScheme: AlgorithmIdentifierValue;
}

export const Pbes2Params = asn1.define<Pbes2ParamsValue>('PBES2-params', function () {
  this.seq().obj(
    this.key('keyDerivationFunc').use(AlgorithmIdentifier),
    this.key('encryptionScheme').use(AlgorithmIdentifier),
  );
});

// SEC 1 v2, Appendix C.4 (the "EC PRIVATE KEY" of OpenSSL).
export interface EcPrivateKeyValue {
  version: BigNum;
  privateKey: Buffer;
  /** The namedCurve; explicit parameters are refused before this schema is used. */
  parameters?: ObjectId;
  publicKey?: { unused: number; data: Buffer };
}

export const EcPrivateKey = asn1.define<EcPrivateKeyValue>('ECPrivateKey', function () {
  this.seq().obj(
    this.key('version').int(),
    this.key('privateKey').octstr(),
    this.key('parameters').explicit(0).optional().objid(),
    this.key('publicKey').explicit(1).optional().bitstr(),
  );
});

// RFC 8017, Appendix A.1.2.
export interface RsaPrivateKeyValue {
  version: BigNum;
  modulus: BigNum;
  publicExponent: BigNum;
}

export const RsaPrivateKey = asn1.define<RsaPrivateKeyValue>('RSAPrivateKey', function () {
  this.seq().obj(
    this.key('version').int(),
    this.key('modulus').int(),
    this.key('publicExponent').int(),
    this.key('privateExponent').int(),
    this.key('prime1').int(),
    this.key('prime2').int(),
    this.key('exponent1').int(),
    this.key('exponent2').int(),
    this.key('coefficient').int(),
    this.key('otherPrimeInfos').optional().any(),
  );
});
