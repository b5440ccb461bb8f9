// SubjectPublicKeyInfo (RFC 5280, Section 4.1.2.7): which keys we accept, as KeyObjects.
//
// Accepted: RSA (rsaEncryption and RSASSA-PSS), ECDSA on the named curves P-256, P-384 and
// P-521, Ed25519 and Ed448: the keys TLS 1.3 can sign with (RFC 8446, Section 4.2.3). DSA,
// other curves and explicit curve parameters are refused by name.

import { createPublicKey, type KeyObject } from 'node:crypto';

import { DecodeError, TlsConfigError } from '../errors';
import { parsePssAlgorithm } from './signature';
import { children, decodeOid, parseDer, TagClass, type Tlv, UniversalTag } from './der';
import { Oid } from './oids';

export type KeyKind = 'rsa' | 'rsa-pss' | 'ec' | 'ed25519' | 'ed448';
export type NamedCurve = 'P-256' | 'P-384' | 'P-521';

export interface PublicKeyInfo {
  keyKind: KeyKind;
  namedCurve?: NamedCurve;
  keyBits?: number;
}

export const CURVES: Readonly<Record<string, NamedCurve>> = {
  [Oid.secp256r1]: 'P-256',
  [Oid.secp384r1]: 'P-384',
  [Oid.secp521r1]: 'P-521',
};

const CURVE_NAMES: Readonly<Record<string, string>> = {
  [Oid.secp192r1]: 'P-192',
  [Oid.secp256k1]: 'secp256k1',
};

const UNSUPPORTED: Readonly<Record<string, string>> = {
  [Oid.idDsa]: 'DSA',
  [Oid.idX25519]: 'X25519',
  [Oid.idX448]: 'X448',
};

/** The error for a well-formed key of a kind we do not use. */
export function unsupportedKey(message: string): TlsConfigError {
  return new TlsConfigError('ERR_TLS13_UNSUPPORTED_KEY', message);
}

/**
 * Reads a SubjectPublicKeyInfo element: the kind of key, its curve or modulus size. Turning it
 * into a KeyObject costs more than the rest of parsing a certificate, so that waits for
 * `publicKeyObject`, called when a signature is to be checked.
 */
export function parsePublicKeyInfo(tlv: Tlv, what = 'certificate public key'): PublicKeyInfo {
  const parts = tlv.tag === UniversalTag.sequence ? children(tlv) : [];
  const alg = parts[0]?.tag === UniversalTag.sequence ? children(parts[0]) : [];
  const wellFormed =
    parts.length === 2 &&
    alg.length >= 1 &&
    alg.length <= 2 &&
    alg[0].tag === UniversalTag.objectIdentifier &&
    parts[1].tag === UniversalTag.bitString;
  if (!wellFormed) throw new DecodeError(`${what}: SubjectPublicKeyInfo is malformed`);
  if (parts[1].value[0] !== 0) throw new DecodeError(`${what}: key BIT STRING has unused bits`);

  const oid = decodeOid(alg[0].value);
  const described = describeAlgorithm(oid, alg[1], what);
  if (described.keyKind !== 'rsa' && described.keyKind !== 'rsa-pss') {
    return described.namedCurve ? described : { keyKind: described.keyKind };
  }
  return { keyKind: described.keyKind, keyBits: rsaModulusBits(parts[1].value.subarray(1), what) };
}

// RSAPublicKey (RFC 8017, Appendix A.1.1); an even modulus cannot be a product of two primes.
function rsaModulusBits(der: Buffer, what: string): number {
  const fields = children(parseDer(der, `${what} RSAPublicKey`));
  const [modulus, exponent] = fields;
  const wellFormed =
    fields.length === 2 &&
    modulus.tag === UniversalTag.integer &&
    exponent.tag === UniversalTag.integer &&
    (modulus.value[0] & 0x80) === 0;
  if (!wellFormed) throw new DecodeError(`${what}: RSAPublicKey is malformed`);
  const n = modulus.value[0] === 0 ? modulus.value.subarray(1) : modulus.value;
  if (n.length === 0 || (n[n.length - 1] & 1) === 0) {
    throw new DecodeError(`${what}: RSA modulus is even`);
  }
  return (n.length - 1) * 8 + (32 - Math.clz32(n[0]));
}

/** The KeyObject of a SubjectPublicKeyInfo; throws DecodeError for a key OpenSSL refuses. */
export function publicKeyObject(spki: Buffer, keyKind: KeyKind): KeyObject {
  try {
    return createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (err) {
    throw new DecodeError(`${keyKind} public key is invalid (${(err as Error).message})`);
  }
}

function describeAlgorithm(oid: string, params: Tlv | undefined, what: string) {
  const kind = (keyKind: KeyKind, namedCurve?: NamedCurve) => ({ keyKind, namedCurve });
  switch (oid) {
    case Oid.rsaEncryption:
      if (params && params.tag !== UniversalTag.null) {
        throw new DecodeError(`${what}: rsaEncryption parameters must be NULL`);
      }
      return kind('rsa');
    case Oid.rsassaPss:
      if (params) parsePssAlgorithm(params.raw);
      return kind('rsa-pss');
    case Oid.ecPublicKey:
      return kind('ec', curveOf(params, what));
    case Oid.idEd25519:
    case Oid.idEd448:
      if (params) throw new DecodeError(`${what}: EdDSA key has parameters`);
      return kind(oid === Oid.idEd25519 ? 'ed25519' : 'ed448');
    default:
      throw unsupportedKey(
        `${what}: ${UNSUPPORTED[oid] ?? `algorithm ${oid}`} keys are not supported`,
      );
  }
}

/** The named curve of ECParameters (RFC 5480, Section 2.1.1), refusing explicit ones. */
export function curveOf(params: Tlv | undefined, what: string): NamedCurve {
  if (!params) throw new DecodeError(`${what} has no curve parameters`);
  if (params.cls === TagClass.universal && params.tag === UniversalTag.sequence) {
    throw unsupportedKey(`${what} uses explicit curve parameters`);
  }
  if (params.tag !== UniversalTag.objectIdentifier) {
    throw unsupportedKey(`${what} uses implicit curve parameters`);
  }
  const oid = decodeOid(params.value);
  const curve = CURVES[oid];
  if (!curve) throw unsupportedKey(`${what} uses curve ${CURVE_NAMES[oid] ?? oid}, not supported`);
  return curve;
}

/** Parses SPKI DER bytes (as a KeyObject exports them) into a PublicKeyInfo. */
export function parseSpkiDer(der: Buffer, what?: string): PublicKeyInfo {
  return parsePublicKeyInfo(parseDer(der, 'SubjectPublicKeyInfo'), what);
}
