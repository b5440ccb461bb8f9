// The signature algorithm named inside a certificate, and checking that signature.
//
// Parameters are held to the encodings RFC 4055, RFC 5758 and RFC 8410 give: NULL for PKCS#1
// v1.5, absent for ECDSA and EdDSA, and for RSASSA-PSS a hash that the mask generation
// function repeats, since node:crypto cannot use a different MGF1 hash.

import { constants, createHash, type KeyObject, verify } from 'node:crypto';

import { DecodeError } from '../errors';
import {
  AlgorithmIdentifier,
  type AlgorithmIdentifierValue,
  oidText,
  RsassaPssParams,
} from './asn1-schemas';
import { children, decodeOid, parseDer, type Tlv, UniversalTag } from './der';
import { Oid } from './oids';

export type SignatureFamily = 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa' | 'ed25519' | 'ed448' | 'dsa';

export interface SignatureAlgorithm {
  oid: string;
  family: SignatureFamily;
  /** Node's digest name, or null where the algorithm hashes internally (EdDSA). */
  hash: string | null;
  /** The TLS SignatureScheme name it corresponds to (RFC 8446, Section 4.2.3). */
  scheme: string;
  /** For RSASSA-PSS: the salt length in bytes. */
  saltLength?: number;
  /** MD5 and SHA-1, which the Web PKI no longer accepts on a certificate. */
  weak: boolean;
}

const NULL_PARAMS = Buffer.from([0x05, 0x00]);

const PKCS1: Readonly<Record<string, [string, string]>> = {
  [Oid.md5WithRSAEncryption]: ['md5', 'rsa_pkcs1_md5'],
  [Oid.sha1WithRSAEncryption]: ['sha1', 'rsa_pkcs1_sha1'],
  [Oid.sha224WithRSAEncryption]: ['sha224', 'rsa_pkcs1_sha224'],
  [Oid.sha256WithRSAEncryption]: ['sha256', 'rsa_pkcs1_sha256'],
  [Oid.sha384WithRSAEncryption]: ['sha384', 'rsa_pkcs1_sha384'],
  [Oid.sha512WithRSAEncryption]: ['sha512', 'rsa_pkcs1_sha512'],
};

const ECDSA: Readonly<Record<string, [string, string]>> = {
  [Oid.ecdsaWithSha1]: ['sha1', 'ecdsa_sha1'],
  [Oid.ecdsaWithSha224]: ['sha224', 'ecdsa_sha224'],
  [Oid.ecdsaWithSha256]: ['sha256', 'ecdsa_secp256r1_sha256'],
  [Oid.ecdsaWithSha384]: ['sha384', 'ecdsa_secp384r1_sha384'],
  [Oid.ecdsaWithSha512]: ['sha512', 'ecdsa_secp521r1_sha512'],
};

const HASHES: Readonly<Record<string, string>> = {
  [Oid.sha1]: 'sha1',
  [Oid.sha224]: 'sha224',
  [Oid.sha256]: 'sha256',
  [Oid.sha384]: 'sha384',
  [Oid.sha512]: 'sha512',
};

/** Reads an AlgorithmIdentifier element naming a certificate signature algorithm. */
export function parseSignatureAlgorithm(tlv: Tlv): SignatureAlgorithm {
  const parts = tlv.tag === UniversalTag.sequence ? children(tlv) : [];
  if (parts.length < 1 || parts.length > 2 || parts[0].tag !== UniversalTag.objectIdentifier) {
    throw new DecodeError('signature AlgorithmIdentifier is malformed');
  }
  const oid = decodeOid(parts[0].value);
  const params = parts[1]?.raw;

  const pkcs1 = PKCS1[oid];
  if (pkcs1) {
    // RFC 4055, Section 5 asks for NULL; some old encoders left it out, which we accept.
    if (params && !params.equals(NULL_PARAMS)) throw badParams(oid);
    const [hash, scheme] = pkcs1;
    return { oid, family: 'rsa-pkcs1', hash, scheme, weak: hash === 'md5' || hash === 'sha1' };
  }
  const ecdsa = ECDSA[oid];
  if (ecdsa) {
    if (params) throw badParams(oid);
    const [hash, scheme] = ecdsa;
    return { oid, family: 'ecdsa', hash, scheme, weak: hash === 'sha1' };
  }
  if (oid === Oid.idEd25519 || oid === Oid.idEd448) {
    if (params) throw badParams(oid);
    const family = oid === Oid.idEd25519 ? 'ed25519' : 'ed448';
    return { oid, family, hash: null, scheme: family, weak: false };
  }
  if (oid === Oid.rsassaPss) return parsePssAlgorithm(params);
  if (oid === Oid.dsaWithSha1 || oid === Oid.dsaWithSha256) {
    const hash = oid === Oid.dsaWithSha1 ? 'sha1' : 'sha256';
    return { oid, family: 'dsa', hash, scheme: `dsa_${hash}`, weak: true };
  }
  throw new DecodeError(`signature algorithm ${oid} is not supported`);
}

function badParams(oid: string): DecodeError {
  return new DecodeError(`signature algorithm ${oid} has parameters RFC 5280 does not allow`);
}

/** RSASSA-PSS parameters (RFC 4055, Section 3.1); defaults would mean SHA-1, refused. */
export function parsePssAlgorithm(params: Buffer | undefined): SignatureAlgorithm {
  if (!params) throw new DecodeError('RSASSA-PSS signature without parameters (SHA-1 defaults)');
  parseDer(params, 'RSASSA-PSS-params');
  let value;
  try {
    value = RsassaPssParams.decode(params, 'der');
  } catch (err) {
    throw new DecodeError(`RSASSA-PSS-params are malformed: ${(err as Error).message}`);
  }
  const hash = value.hashAlgorithm ? hashName(value.hashAlgorithm) : 'sha1';
  const mgf = value.maskGenAlgorithm;
  if (!mgf || oidText(mgf.algorithm) !== Oid.mgf1 || !mgf.parameters) {
    throw new DecodeError('RSASSA-PSS uses a mask generation function other than MGF1');
  }
  const mgfHash = hashName(AlgorithmIdentifier.decode(mgf.parameters, 'der'));
  if (mgfHash !== hash) throw new DecodeError('RSASSA-PSS uses a different hash for MGF1');
  const saltLength = value.saltLength ? value.saltLength.toNumber() : 20;
  if (value.trailerField && value.trailerField.toNumber() !== 1) {
    throw new DecodeError('RSASSA-PSS trailerField must be 1');
  }
  const scheme = `rsa_pss_rsae_${hash}`;
  return { oid: Oid.rsassaPss, family: 'rsa-pss', hash, scheme, saltLength, weak: hash === 'sha1' };
}

function hashName(alg: AlgorithmIdentifierValue): string {
  const name = HASHES[oidText(alg.algorithm)];
  if (!name) throw new DecodeError(`hash algorithm ${oidText(alg.algorithm)} is not supported`);
  if (alg.parameters && !alg.parameters.equals(NULL_PARAMS)) {
    throw new DecodeError('hash AlgorithmIdentifier has parameters');
  }
  return name;
}

// Which key types can check which signature family.
const KEY_FAMILIES: Readonly<Record<SignatureFamily, readonly string[]>> = {
  'rsa-pkcs1': ['rsa'],
  'rsa-pss': ['rsa', 'rsa-pss'],
  ecdsa: ['ec'],
  ed25519: ['ed25519'],
  ed448: ['ed448'],
  dsa: ['dsa'],
};

/** Checks `signature` over `data` with `key`; false for any mismatch, never throws. */
export function verifySignature(
  alg: SignatureAlgorithm,
  data: Buffer,
  signature: Buffer,
  key: KeyObject,
): boolean {
  if (!KEY_FAMILIES[alg.family].includes(key.asymmetricKeyType ?? '')) return false;
  try {
    if (alg.family === 'rsa-pss') {
      const options = {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: alg.saltLength,
      };
      return verify(alg.hash, data, options, signature);
    }
    if (alg.family === 'ecdsa') {
      return verify(alg.hash, data, { key, dsaEncoding: 'der' }, signature);
    }
    return verify(alg.hash, data, key, signature);
  } catch {
    return false;
  }
}

/** SHA-256 fingerprint in Node's "AB:CD:..." form. */
export function fingerprint256(der: Buffer): string {
  const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
  return hex.match(/../g)?.join(':') ?? '';
}
