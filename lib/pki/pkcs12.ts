// PKCS#12 files ("pfx", RFC 7292): a certificate chain and its key under one passphrase.
//
// Node 20 can hand a pfx to OpenSSL for a secure context but cannot take one apart, so we read
// it here: check the MAC, decrypt the bags (PBES2 with PBKDF2 and AES, as OpenSSL 3 writes
// them, or the SHA-1 and triple-DES scheme that OpenSSL 1.x used), and collect the key and the
// certificates. RC2, OpenSSL 1.x's default for certificate bags, is refused with a way out,
// because Node 20's OpenSSL has no RC2 without its legacy provider.

import { createDecipheriv, createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

import { DecodeError, TlsConfigError } from '../errors';
import { type Certificate, parseCertificate } from './certificate';
import {
  berToDer,
  children,
  decodeOid,
  decodeSmallUint,
  MAX_KDF_ITERATIONS,
  parseDer,
  TagClass,
  type Tlv,
} from './der';
import { type Identity, keyMatchesCertificate, loadPrivateKey, type PrivateKeyInfo } from './keys';
import { Oid } from './oids';

const Pkcs12Oid = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
} as const;

const FORMAT = 'PKCS#12';

/** Loads the key and certificates of a PKCS#12 file; the chain starts with the key's leaf. */
export function loadPfx(pfx: Buffer, passphrase: string | Buffer = ''): Identity {
  const password = Buffer.isBuffer(passphrase) ? passphrase.toString('utf8') : passphrase;
  let contents: Contents;
  try {
    contents = readPfx(pfx, password);
  } catch (err) {
    const wrong = (err as { code?: string }).code === 'ERR_TLS13_KEY_PASSPHRASE';
    if (wrong && password === '') throw passphraseError(`${FORMAT} file: a passphrase is required`);
    throw err;
  }
  return identityOf(contents);
}

function identityOf(contents: Contents): Identity {
  if (contents.keys.length !== 1) {
    throw pfxError(`${FORMAT} file holds ${contents.keys.length} private keys; one is needed`);
  }
  const key = contents.keys[0];
  return { key, chain: orderChain(key, contents.certificates) };
}

function readPfx(pfx: Buffer, password: string): Contents {
  try {
    return readPfxDer(pfx, password);
  } catch (err) {
    if (err instanceof DecodeError) throw pfxError(`${FORMAT} file is malformed: ${err.message}`);
    throw err;
  }
}

interface Contents {
  keys: PrivateKeyInfo[];
  certificates: Certificate[];
}

// PFX ::= SEQUENCE { version 3, authSafe ContentInfo, macData MacData OPTIONAL }
function readPfxDer(pfx: Buffer, password: string): Contents {
  const [version, authSafe, macData] = sequence(parseBer(pfx, FORMAT), 2, 3);
  if (decodeSmallUint(version.value, 'PFX version') !== 3) {
    throw pfxError(`${FORMAT} file has version ${version.value[0]}, not 3`);
  }
  const [type, content] = contentInfo(authSafe);
  if (type !== Pkcs12Oid.data) throw pfxError(`${FORMAT} file is signed, not password-protected`);
  const safe = octets(content);
  if (macData) checkMac(macData, safe, password);

  const out: Contents = { keys: [], certificates: [] };
  for (const info of sequence(parseBer(safe, 'AuthenticatedSafe'), 0, Infinity)) {
    const [infoType, infoContent] = contentInfo(info);
    if (infoType === Pkcs12Oid.data) readBags(octets(infoContent), password, out);
    else if (infoType === Pkcs12Oid.encryptedData) {
      readBags(decryptData(infoContent, password), password, out);
    } else {
      throw pfxError(`${FORMAT} file holds content of type ${infoType}, not supported`);
    }
  }
  return out;
}

// MacData (RFC 7292, Section 4): HMAC over the authSafe contents, keyed by the PKCS#12 KDF.
function checkMac(macData: Tlv, content: Buffer, password: string): void {
  const [mac, salt, iterations] = sequence(macData, 2, 3);
  const [algorithm, digest] = sequence(mac, 2, 2);
  const hash = hashOf(sequence(algorithm, 1, 2)[0]);
  const rounds = iterations ? iterationCount(iterations.value, 'MAC iterations') : 1;
  const expected = digest.value;
  const matches = (pw: Buffer) => {
    const key = pkcs12Kdf(hash, pw, salt.value, rounds, 3, expected.length);
    const actual = createHmac(hash, key).update(content).digest();
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  };
  // An empty passphrase is written by some tools as no password at all rather than as "".
  if (matches(bmpPassword(password))) return;
  if (password === '' && matches(Buffer.alloc(0))) return;
  throw passphraseError(`${FORMAT} file: wrong passphrase (its MAC does not verify)`);
}

// SafeContents ::= SEQUENCE OF SafeBag; SafeBag ::= SEQUENCE { bagId, [0] bagValue, attrs }
function readBags(der: Buffer, password: string, out: Contents): void {
  for (const bag of sequence(parseBer(der, 'SafeContents'), 0, Infinity)) {
    const [id, wrapped] = sequence(bag, 2, 3);
    const bagId = decodeOid(id.value);
    const value = explicit(wrapped);
    switch (bagId) {
      case Pkcs12Oid.keyBag:
        out.keys.push(loadPrivateKey(value.raw));
        break;
      case Pkcs12Oid.pkcs8ShroudedKeyBag:
        out.keys.push(shroudedKey(value, password));
        break;
      case Pkcs12Oid.certBag:
        out.certificates.push(certificateOf(value));
        break;
      case Pkcs12Oid.safeContentsBag:
        readBags(value.raw, password, out);
        break;
      default:
        break; // CRL and secret bags carry nothing a TLS identity needs.
    }
  }
}

// EncryptedPrivateKeyInfo: decrypted here, so that the legacy PBEs work like PBES2.
function shroudedKey(value: Tlv, password: string): PrivateKeyInfo {
  const [algorithm, data] = sequence(value, 2, 2);
  const key = loadPrivateKey(decrypt(algorithm, data.value, password, 'key bag'));
  return { ...key, format: `${FORMAT} (${key.format})` };
}

function certificateOf(value: Tlv): Certificate {
  const [type, wrapped] = sequence(value, 2, 2);
  if (decodeOid(type.value) !== Pkcs12Oid.x509Certificate) {
    throw pfxError(`${FORMAT} certificate bag holds a type other than X.509`);
  }
  try {
    return parseCertificate(octets(wrapped));
  } catch (err) {
    throw pfxError(`${FORMAT} certificate bag: ${(err as Error).message}`);
  }
}

// EncryptedData ::= SEQUENCE { version, EncryptedContentInfo { type, algorithm, [0] data } }
function decryptData(content: Tlv, password: string): Buffer {
  const [, info] = sequence(explicit(content), 2, 3);
  const [, algorithm, data] = sequence(info, 3, 3);
  if (data.cls !== TagClass.context || data.tag !== 0) {
    throw new DecodeError('encryptedContent is missing');
  }
  // [0] IMPLICIT OCTET STRING: BER writers may split it into segments.
  const ciphertext = data.constructed
    ? Buffer.concat(children(data).map((segment) => segment.value))
    : data.value;
  return decrypt(algorithm, ciphertext, password, 'certificate bags');
}

const PKCS12_PBE: Readonly<Record<string, [string, number, number] | string>> = {
  [Oid.pbeWithShaAnd3KeyTripleDesCbc]: ['des-ede3-cbc', 24, 8],
  [Oid.pbeWithShaAnd128BitRc2Cbc]: 'RC2',
  [Oid.pbeWithShaAnd40BitRc2Cbc]: 'RC2',
};

function decrypt(algorithm: Tlv, data: Buffer, password: string, what: string): Buffer {
  const [oidTlv, params] = sequence(algorithm, 1, 2);
  const oid = decodeOid(oidTlv.value);
  const legacy = PKCS12_PBE[oid];
  if (legacy === 'RC2') {
    throw new TlsConfigError(
      'ERR_TLS13_UNSUPPORTED_KEY',
      `${FORMAT} ${what} are encrypted with ` +
        'RC2, which Node 20 cannot decrypt; re-export with openssl pkcs12 -export ' +
        '-certpbe AES-256-CBC -keypbe AES-256-CBC (OpenSSL 3 does so by default)',
    );
  }
  let cipher: string;
  let key: Buffer;
  let iv: Buffer;
  if (Array.isArray(legacy)) [cipher, key, iv] = pkcs12PbeKeys(legacy, params, password);
  else if (oid === Oid.pbes2) [cipher, key, iv] = pbes2Keys(params, password, what);
  else throw pfxError(`${FORMAT} ${what} use encryption ${oid}, not supported`);
  try {
    const decipher = createDecipheriv(cipher, key, iv);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    throw passphraseError(`${FORMAT} file: wrong passphrase (${what} do not decrypt)`);
  }
}

// RFC 7292, Appendix C: key (ID 1) and IV (ID 2) from the PKCS#12 KDF over SHA-1.
function pkcs12PbeKeys(
  spec: [string, number, number],
  params: Tlv | undefined,
  password: string,
): [string, Buffer, Buffer] {
  if (!params) throw new DecodeError('PKCS#12 PBE parameters missing');
  const [salt, iterations] = sequence(params, 2, 2);
  const rounds = iterationCount(iterations.value, 'PBE iterations');
  const pw = bmpPassword(password);
  const [cipher, keyLength, ivLength] = spec;
  const key = pkcs12Kdf('sha1', pw, salt.value, rounds, 1, keyLength);
  const iv = pkcs12Kdf('sha1', pw, salt.value, rounds, 2, ivLength);
  return [cipher, key, iv];
}

const PBES2_CIPHERS: Readonly<Record<string, [string, number]>> = {
  [Oid.aes128Cbc]: ['aes-128-cbc', 16],
  [Oid.aes192Cbc]: ['aes-192-cbc', 24],
  [Oid.aes256Cbc]: ['aes-256-cbc', 32],
  [Oid.desEde3Cbc]: ['des-ede3-cbc', 24],
};

const PRF_HASHES: Readonly<Record<string, string>> = {
  [Oid.hmacWithSha1]: 'sha1',
  [Oid.hmacWithSha224]: 'sha224',
  [Oid.hmacWithSha256]: 'sha256',
  [Oid.hmacWithSha384]: 'sha384',
  [Oid.hmacWithSha512]: 'sha512',
};

// RFC 8018, Section 6.2 with PBKDF2 (Appendix A.2); the password goes in as UTF-8.
function pbes2Keys(
  params: Tlv | undefined,
  password: string,
  what: string,
): [string, Buffer, Buffer] {
  if (!params) throw new DecodeError('PBES2 parameters missing');
  const [kdf, scheme] = sequence(params, 2, 2);
  const [kdfOid, kdfParams] = sequence(kdf, 2, 2);
  if (decodeOid(kdfOid.value) !== Oid.pbkdf2) {
    throw pfxError(`${FORMAT} ${what} use a key derivation other than PBKDF2`);
  }
  const [schemeOid, ivTlv] = sequence(scheme, 2, 2);
  const spec = PBES2_CIPHERS[decodeOid(schemeOid.value)];
  if (!spec) {
    throw pfxError(`${FORMAT} ${what} use cipher ${decodeOid(schemeOid.value)}, not supported`);
  }
  const [salt, iterations, ...rest] = sequence(kdfParams, 2, 4);
  const prf = rest.find((t) => t.tag === 16);
  const hash = prf ? PRF_HASHES[decodeOid(sequence(prf, 1, 2)[0].value)] : 'sha1';
  if (!hash) throw pfxError(`${FORMAT} ${what} use an unknown PBKDF2 PRF`);
  const rounds = iterationCount(iterations.value, 'PBKDF2 iterations');
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt.value, rounds, spec[1], hash);
  return [spec[0], key, ivTlv.value];
}

/** The PKCS#12 key derivation function (RFC 7292, Appendix B.2). */
export function pkcs12Kdf(
  hash: string,
  password: Buffer,
  salt: Buffer,
  iterations: number,
  id: number,
  length: number,
): Buffer {
  const v = hash === 'sha384' || hash === 'sha512' ? 128 : 64;
  const fill = (data: Buffer) => {
    const out = Buffer.alloc(v * Math.ceil(data.length / v));
    for (let i = 0; i < out.length; i++) out[i] = data[i % data.length];
    return out;
  };
  const diversifier = Buffer.alloc(v, id);
  const input = Buffer.concat([fill(salt), fill(password)]);
  const output: Buffer[] = [];
  for (let produced = 0; produced < length;) {
    let a = createHash(hash).update(diversifier).update(input).digest();
    for (let r = 1; r < iterations; r++) a = createHash(hash).update(a).digest();
    output.push(a);
    produced += a.length;
    addBlockToEach(input, fill(a).subarray(0, v), v);
  }
  return Buffer.concat(output).subarray(0, length);
}

// Each v-byte block of `input` becomes (block + b + 1) mod 2^(8v), in place.
function addBlockToEach(input: Buffer, b: Buffer, v: number): void {
  for (let start = 0; start < input.length; start += v) {
    let carry = 1;
    for (let i = v - 1; i >= 0; i--) {
      const sum = input[start + i] + b[i] + carry;
      input[start + i] = sum & 0xff;
      carry = sum >> 8;
    }
  }
}

// RFC 7292, Appendix B.1: BMPString, big-endian, with a two-byte terminator.
function bmpPassword(password: string): Buffer {
  const out = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2);
  return out;
}

const MAC_HASHES: Readonly<Record<string, string>> = {
  [Oid.sha1]: 'sha1',
  [Oid.sha224]: 'sha224',
  [Oid.sha256]: 'sha256',
  [Oid.sha384]: 'sha384',
  [Oid.sha512]: 'sha512',
};

function hashOf(oid: Tlv): string {
  const name = MAC_HASHES[decodeOid(oid.value)];
  if (!name) throw pfxError(`${FORMAT} MAC uses hash ${decodeOid(oid.value)}, not supported`);
  return name;
}

// The leaf is the certificate of the key; then each next issuer; then anything left over.
function orderChain(key: PrivateKeyInfo, certs: Certificate[]): Certificate[] {
  const leaf = certs.find((c) => keyMatchesCertificate(key, c));
  if (!leaf) throw pfxError(`${FORMAT} file holds no certificate for its ${key.kind} key`);
  const chain = [leaf];
  const rest = certs.filter((c) => c !== leaf);
  for (let next = findIssuer(leaf, rest); next; next = findIssuer(chain[chain.length - 1], rest)) {
    chain.push(next);
    rest.splice(rest.indexOf(next), 1);
  }
  return [...chain, ...rest];
}

function findIssuer(cert: Certificate, pool: Certificate[]): Certificate | undefined {
  if (cert.isSelfIssued) return undefined;
  return pool.find((c) => cert.issuerMatches(c));
}

// Java and Windows write PKCS#12 in BER (indefinite lengths, constructed OCTET STRINGs). A
// file the user configured is read as BER re-encoded to DER; the MAC is checked over the
// original content octets, which the re-encoding leaves as they were.
function parseBer(buf: Buffer, what: string): Tlv {
  try {
    return parseDer(buf, what);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return parseDer(berToDer(buf), what);
  }
}

function contentInfo(tlv: Tlv): [string, Tlv] {
  const [type, content] = sequence(tlv, 2, 2);
  return [decodeOid(type.value), content];
}

function explicit(tlv: Tlv): Tlv {
  const inner = tlv.cls === TagClass.context && tlv.constructed ? children(tlv) : [];
  if (inner.length !== 1) throw new DecodeError('explicit [0] must hold one element');
  return inner[0];
}

// [0] EXPLICIT OCTET STRING. The constructed (BER) form that some Java and Windows exports
// use never gets here: parseDer has refused it.
function octets(content: Tlv): Buffer {
  const inner = explicit(content);
  if (inner.tag !== 4) throw new DecodeError('expected an OCTET STRING');
  return inner.value;
}

function sequence(tlv: Tlv, min: number, max: number): Tlv[] {
  if (tlv.cls !== TagClass.universal || tlv.tag !== 16) {
    throw new DecodeError('expected a SEQUENCE');
  }
  const parts = children(tlv);
  if (parts.length < min || parts.length > max) {
    throw new DecodeError('SEQUENCE has the wrong number of fields');
  }
  return parts;
}

function pfxError(message: string): TlsConfigError {
  return new TlsConfigError('ERR_TLS13_INVALID_KEY', message);
}

function passphraseError(message: string): TlsConfigError {
  return new TlsConfigError('ERR_TLS13_KEY_PASSPHRASE', message);
}

/** An iteration count from the file, refused above MAX_KDF_ITERATIONS rather than computed. */
function iterationCount(value: Buffer, what: string): number {
  const count = decodeSmallUint(value, what);
  if (count > MAX_KDF_ITERATIONS) {
    throw new TlsConfigError(
      'ERR_TLS13_UNSUPPORTED_KEY',
      `PKCS#12 file: ${what} of ${count} is over the limit of ${MAX_KDF_ITERATIONS}`,
    );
  }
  return count;
}
