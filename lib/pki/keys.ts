// The one entry point for private keys, and the identity (chain plus key) built on it.
//
// We recognise the format ourselves, check its structure, and only then hand checked DER to
// node:crypto. That way each failure can say which format it found and what is wrong with it,
// instead of surfacing an OpenSSL reason string.

import {
  createPrivateKey,
  createPublicKey,
  type JsonWebKey,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';

import { DecodeError, TlsConfigError } from '../errors';
import {
  EcPrivateKey,
  EncryptedPrivateKeyInfo,
  OneAsymmetricKey,
  oidArcs,
  oidText,
  Pbes2Params,
  RsaPrivateKey,
} from './asn1-schemas';
import { type Certificate, loadCertificates } from './certificate';
import {
  children,
  decodeOid,
  decodeSmallUint,
  MAX_KDF_ITERATIONS,
  parseDer,
  TagClass,
  type Tlv,
  UniversalTag,
} from './der';
import { Oid } from './oids';
import { decodePem, encodePem, looksLikePem, type PemBlock } from './pem';
import { curveOf, type KeyKind, type NamedCurve } from './public-key';

export interface PrivateKeyInfo {
  keyObject: KeyObject;
  kind: KeyKind;
  namedCurve?: NamedCurve;
  bits?: number;
  /** The format found: 'PKCS#8', 'encrypted PKCS#8', 'SEC1', 'PKCS#1', 'JWK', ... */
  format: string;
}

export interface Identity {
  chain: Certificate[];
  key: PrivateKeyInfo;
}

const KEY_LABELS: Readonly<Record<string, string>> = {
  'PRIVATE KEY': 'PKCS#8',
  'ENCRYPTED PRIVATE KEY': 'encrypted PKCS#8',
  'EC PRIVATE KEY': 'SEC1',
  'RSA PRIVATE KEY': 'PKCS#1',
};

const FOREIGN_LABELS: Readonly<Record<string, string>> = {
  'DSA PRIVATE KEY': 'DSA keys are not supported',
  'OPENSSH PRIVATE KEY': 'OpenSSH key files are not supported; convert with ssh-keygen -p -m PKCS8',
  'PUBLIC KEY': 'it is a public key, not a private key',
  'RSA PUBLIC KEY': 'it is a public key, not a private key',
  CERTIFICATE: 'it holds certificates but no private key',
};

/**
 * Loads a private key from PEM (PKCS#8, encrypted PKCS#8, SEC1 with or without an
 * EC PARAMETERS block, PKCS#1, OpenSSL's legacy encrypted PEM), DER of the same, or a JWK
 * (RFC 7517) given as an object or as its JSON text.
 */
export function loadPrivateKey(
  input: string | Buffer | JsonWebKey,
  passphrase?: string | Buffer,
): PrivateKeyInfo {
  try {
    return loadAnyKey(input, passphrase);
  } catch (err) {
    // Every path checks its structure, but a malformed file must never escape as anything but
    // a configuration error.
    if (err instanceof DecodeError) throw keyError(`key is malformed: ${err.message}`);
    throw err;
  }
}

function loadAnyKey(
  input: string | Buffer | JsonWebKey,
  passphrase?: string | Buffer,
): PrivateKeyInfo {
  if (!Buffer.isBuffer(input) && typeof input === 'object') return loadJwk(input);
  const text = typeof input === 'string' ? input : pemTextOf(input);
  if (text !== undefined && text.trimStart().startsWith('{')) return loadJwk(parseJwk(text));
  if (text !== undefined) return loadPemKey(text, passphrase);
  if (typeof input === 'string') throw keyError('key input holds no PEM block');
  return loadDerKey(input, passphrase);
}

function pemTextOf(buf: Buffer): string | undefined {
  const text = buf.toString('utf8');
  return looksLikePem(text) || text.trimStart().startsWith('{') ? text : undefined;
}

function loadPemKey(text: string, passphrase: string | Buffer | undefined): PrivateKeyInfo {
  const blocks = decodePem(text);
  if (blocks.length === 0) throw keyError('key input holds no PEM block');
  const keys = blocks.filter((b) => KEY_LABELS[b.label]);
  if (keys.length === 0) {
    const foreign = blocks.map((b) => FOREIGN_LABELS[b.label]).find(Boolean);
    const labels = blocks.map((b) => b.label).join(', ');
    throw keyError(
      foreign ? `PEM key file: ${foreign}` : `no private key PEM block (found ${labels || 'none'})`,
    );
  }
  if (keys.length > 1) throw keyError(`PEM input holds ${keys.length} private keys; give one`);
  const block = keys[0];
  const format = KEY_LABELS[block.label];
  if (block.headers['Proc-Type']) return loadLegacyEncrypted(block, format, passphrase);
  const params = blocks.find((b) => b.label === 'EC PARAMETERS');
  return loadDer(block.der, format, passphrase, params?.der);
}

function loadDerKey(der: Buffer, passphrase: string | Buffer | undefined): PrivateKeyInfo {
  return loadDer(der, sniffDerFormat(der), passphrase, undefined);
}

// Tells the DER key formats apart by their top-level shape.
function sniffDerFormat(der: Buffer): string {
  let parts: Tlv[];
  try {
    parts = children(parseDer(der, 'DER key'));
  } catch (err) {
    throw keyError(`DER key is malformed: ${(err as Error).message}`);
  }
  const tags = parts.map((p) => (p.cls === 0 ? p.tag : 100 + p.tag));
  const { integer, sequence, octetString } = UniversalTag;
  if (tags.length === 2 && tags[0] === sequence && tags[1] === octetString) {
    return 'encrypted PKCS#8';
  }
  if (tags[0] === integer && tags[1] === sequence && tags[2] === octetString) return 'PKCS#8';
  if (tags[0] === integer && tags[1] === octetString) return 'SEC1';
  if (tags.length >= 9 && tags.slice(0, 9).every((t) => t === integer)) return 'PKCS#1';
  if (tags[0] === integer && tags[1] === sequence && parts[0].value[0] === 3) {
    throw keyError('DER input is a PKCS#12 file, which holds a chain too; load it with loadPfx');
  }
  throw keyError('DER input is not a PKCS#8, SEC1 or PKCS#1 private key');
}

function loadDer(
  der: Buffer,
  format: string,
  passphrase: string | Buffer | undefined,
  ecParameters: Buffer | undefined,
): PrivateKeyInfo {
  try {
    parseDer(der, `${format} key`);
  } catch (err) {
    throw keyError(`${format} key is malformed: ${(err as Error).message}`);
  }
  switch (format) {
    case 'PKCS#8':
      return loadPkcs8(der);
    case 'encrypted PKCS#8':
      return loadEncryptedPkcs8(der, passphrase);
    case 'SEC1':
      return loadSec1(der, ecParameters);
    default:
      return loadPkcs1(der);
  }
}

// RFC 5958, Section 2: check the algorithm before node:crypto sees the key.
function loadPkcs8(der: Buffer, format = 'PKCS#8'): PrivateKeyInfo {
  const info = decodeWith(() => OneAsymmetricKey.decode(der, 'der'), format);
  if (info.version.cmpn(1) > 0) throw keyError(`${format} key has unknown version ${info.version}`);
  const oid = oidText(info.privateKeyAlgorithm.algorithm);
  const params = info.privateKeyAlgorithm.parameters;
  if (oid === Oid.ecPublicKey) {
    checkCurve(params && parseDer(params, 'EC parameters'), `${format} key`);
  }
  if (oid === Oid.idDsa) throw unsupported(`${format} key is a DSA key, which TLS 1.3 cannot use`);
  const load = () => createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return finish(nodeKey(load, format), format);
}

function loadEncryptedPkcs8(der: Buffer, passphrase: string | Buffer | undefined): PrivateKeyInfo {
  const format = 'encrypted PKCS#8';
  const info = decodeWith(() => EncryptedPrivateKeyInfo.decode(der, 'der'), format);
  const scheme = oidText(info.encryptionAlgorithm.algorithm);
  if (scheme === Oid.pbeWithShaAnd40BitRc2Cbc || scheme === Oid.pbeWithShaAnd128BitRc2Cbc) {
    throw unsupported(
      `${format} key is encrypted with RC2, which Node 20 cannot decrypt; ` +
        're-export it with openssl pkcs8 -topk8 -v2 aes-256-cbc',
    );
  }
  if (scheme === Oid.pbes2) describePbes2(info.encryptionAlgorithm.parameters, format);
  if (passphrase === undefined) throw passphraseError(`${format} key: a passphrase is required`);
  const keyObject = decrypt(format, () =>
    createPrivateKey({ key: der, format: 'der', type: 'pkcs8', passphrase }),
  );
  // Check the decrypted key as a plain one, so that explicit curves are refused here too.
  const inner = keyObject.export({ type: 'pkcs8', format: 'der' });
  return { ...loadPkcs8(inner, format), format };
}

// PBES2 (RFC 8018, Section 6.2) with PBKDF2 or scrypt; anything else is named.
function describePbes2(params: Buffer | undefined, format: string): void {
  if (!params) throw keyError(`${format} key: PBES2 parameters are missing`);
  const pbes2 = decodeWith(() => Pbes2Params.decode(params, 'der'), `${format} PBES2`);
  const kdf = oidText(pbes2.keyDerivationFunc.algorithm);
  if (kdf !== Oid.pbkdf2 && kdf !== Oid.scrypt) {
    throw unsupported(`${format} key uses key derivation ${kdf}, not PBKDF2 or scrypt`);
  }
  checkKdfCost(pbes2.keyDerivationFunc.parameters, kdf === Oid.scrypt, format);
}

/**
 * The most memory scrypt may ask for: node:crypto decrypts the key through OpenSSL, which
 * refuses more than 32 MiB (128 * r * (N + 2) for its table, plus 128 * r * p), so a key over it
 * could never load. N = 2^14 with r = 8, OpenSSL's own choice, needs 16 MiB.
 */
export const MAX_SCRYPT_MEMORY = 32 * 1024 * 1024;

// A key file chooses how long its key derivation runs; refuse one that would run for minutes.
function checkKdfCost(params: Buffer | undefined, scrypt: boolean, format: string): void {
  if (!params) throw keyError(`${format} key: key derivation parameters are missing`);
  const fields = children(parseDer(params, `${format} key derivation parameters`));
  const number = (i: number, what: string): number => {
    const field = fields[i];
    if (!field || field.tag !== UniversalTag.integer) {
      throw keyError(`${format} key: ${what} is missing`);
    }
    return decodeSmallUint(field.value, `${format} ${what}`);
  };
  if (!scrypt) {
    const count = number(1, 'PBKDF2 iteration count');
    if (count > MAX_KDF_ITERATIONS) {
      throw unsupported(
        `${format} key asks for ${count} PBKDF2 iterations, over ${MAX_KDF_ITERATIONS}`,
      );
    }
    return;
  }
  const cost = number(1, 'scrypt cost');
  const blockSize = number(2, 'scrypt block size');
  const parallelization = number(3, 'scrypt parallelization');
  const memory = 128 * blockSize * (cost + 2) + 128 * blockSize * parallelization;
  if (memory > MAX_SCRYPT_MEMORY) {
    throw unsupported(
      `${format} key asks for scrypt N=${cost} r=${blockSize} p=${parallelization}, which needs ` +
        `${Math.ceil(memory / 2 ** 20)} MiB, over the ${MAX_SCRYPT_MEMORY / 2 ** 20} MiB ` +
        'OpenSSL allows for decrypting a key',
    );
  }
}

// SEC 1, Appendix C.4. The curve is in the key, or in an EC PARAMETERS block before it.
function loadSec1(der: Buffer, ecParameters: Buffer | undefined): PrivateKeyInfo {
  const format = 'SEC1';
  // Read the curve with our reader first: explicit parameters are refused before decoding.
  const fields = children(parseDer(der, 'SEC1 key'));
  const ownField = fields.find((f) => f.cls === TagClass.context && f.tag === 0);
  const own = ownField && children(ownField)[0];
  const block = ecParameters && parseDer(ecParameters, 'EC PARAMETERS');
  if (own) checkCurve(own, `${format} key`);
  if (block) checkCurve(block, `EC PARAMETERS block of the ${format} key`);
  if (own && block && !own.raw.equals(block.raw)) {
    throw keyError(`${format} key names a different curve from its EC PARAMETERS block`);
  }
  if (!own && !block) throw keyError(`${format} key names no curve and has no EC PARAMETERS block`);

  const key = decodeWith(() => EcPrivateKey.decode(der, 'der'), format);
  if (key.version.cmpn(1) !== 0) throw keyError(`${format} key has version ${key.version}, not 1`);
  // A key without its own curve gets the block's, so that node:crypto can read it.
  const full =
    own || !block
      ? der
      : EcPrivateKey.encode({ ...key, parameters: oidArcs(decodeOid(block.value)) }, 'der');
  const load = () => createPrivateKey({ key: full, format: 'der', type: 'sec1' });
  return finish(nodeKey(load, format), format);
}

function checkCurve(params: Tlv | undefined, what: string): void {
  try {
    curveOf(params, what);
  } catch (err) {
    if (err instanceof TlsConfigError) throw err;
    throw keyError((err as Error).message);
  }
}

// RFC 8017, Appendix A.1.2; version 1 means multi-prime, which OpenSSL also reads.
function loadPkcs1(der: Buffer): PrivateKeyInfo {
  const format = 'PKCS#1';
  const key = decodeWith(() => RsaPrivateKey.decode(der, 'der'), format);
  if (key.version.cmpn(1) > 0) throw keyError(`${format} key has unknown version ${key.version}`);
  const load = () => createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
  return finish(nodeKey(load, format), format);
}

// OpenSSL's pre-PKCS#8 encryption (RFC 1421 headers Proc-Type and DEK-Info).
function loadLegacyEncrypted(
  block: PemBlock,
  format: string,
  passphrase: string | Buffer | undefined,
): PrivateKeyInfo {
  const what = `legacy encrypted ${format}`;
  if (block.headers['Proc-Type'] !== '4,ENCRYPTED' || !block.headers['DEK-Info']) {
    throw keyError(`${what} key has malformed Proc-Type or DEK-Info headers`);
  }
  if (passphrase === undefined) throw passphraseError(`${what} key: a passphrase is required`);
  const pem = encodePem(block.label, block.der, block.headers);
  const keyObject = decrypt(what, () => createPrivateKey({ key: pem, format: 'pem', passphrase }));
  const inner = keyObject.export({ type: 'pkcs8', format: 'der' });
  return { ...loadPkcs8(inner, what), format: what };
}

function parseJwk(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw keyError('JWK key is not valid JSON');
  }
}

const JWK_KEY_TYPES: readonly string[] = ['RSA', 'EC', 'OKP'];

// RFC 7518, Section 6: the key type decides which members must be present; node:crypto checks
// those, we check what it would otherwise report less clearly.
function loadJwk(jwk: unknown): PrivateKeyInfo {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw keyError('JWK key is not a JSON object');
  }
  const { kty } = jwk as { kty?: unknown };
  if (typeof kty !== 'string' || !JWK_KEY_TYPES.includes(kty)) {
    throw keyError(`JWK key has "kty" ${JSON.stringify(kty) ?? 'missing'}, not RSA, EC or OKP`);
  }
  if (!('d' in jwk)) throw keyError('JWK key has no private part ("d")');
  const keyObject = nodeKey(() => createPrivateKey({ key: jwk as never, format: 'jwk' }), 'JWK');
  return finish(keyObject, 'JWK');
}

// A wrong passphrase shows as a padding failure or, rarely, as garbage that does not parse.
function decrypt(format: string, load: () => KeyObject): KeyObject {
  try {
    return load();
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (/BAD_DECRYPT|DECODE|ASN1|UNSUPPORTED/.test(code) || code === '') {
      throw passphraseError(`${format} key: wrong passphrase`);
    }
    throw keyError(`${format} key cannot be decrypted: ${(err as Error).message}`);
  }
}

function nodeKey(load: () => KeyObject, format: string): KeyObject {
  try {
    return load();
  } catch (err) {
    throw keyError(`${format} key is invalid: ${(err as Error).message}`);
  }
}

const NODE_CURVES: Readonly<Record<string, NamedCurve>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

function finish(keyObject: KeyObject, format: string): PrivateKeyInfo {
  const type = keyObject.asymmetricKeyType;
  const details = keyObject.asymmetricKeyDetails ?? {};
  switch (type) {
    case 'rsa':
    case 'rsa-pss':
      return { keyObject, kind: type, bits: details.modulusLength, format };
    case 'ec': {
      const namedCurve = NODE_CURVES[details.namedCurve ?? ''];
      if (!namedCurve)
        throw unsupported(`${format} key uses curve ${details.namedCurve}, not supported`);
      return { keyObject, kind: 'ec', namedCurve, format };
    }
    case 'ed25519':
    case 'ed448':
      return { keyObject, kind: type, format };
    default:
      throw unsupported(`${format} key is a ${type} key, which TLS 1.3 cannot sign with`);
  }
}

/**
 * The JWK (RFC 7517) of a loaded key: its public half, or with `part` 'private' the whole key.
 * RSA, EC and OKP (Ed25519, Ed448) keys have one; RSASSA-PSS keys have no JWK form.
 */
export function keyToJwk(key: PrivateKeyInfo, part: 'public' | 'private' = 'public'): JsonWebKey {
  if (key.kind === 'rsa-pss') throw unsupported('RSASSA-PSS keys have no JWK form');
  const source = part === 'private' ? key.keyObject : createPublicKey(key.keyObject);
  return source.export({ format: 'jwk' });
}

/** Loads a certificate chain (leaf first) and its key, and checks that they belong together. */
export function loadIdentity(opts: {
  cert: string | Buffer | Array<string | Buffer>;
  key: string | Buffer;
  passphrase?: string | Buffer;
}): Identity {
  const chain = loadCertificates(opts.cert);
  if (chain.length === 0)
    throw new TlsConfigError('ERR_TLS13_INVALID_CERTIFICATE', 'no certificate');
  const key = loadPrivateKey(opts.key, opts.passphrase);
  if (!keyMatchesCertificate(key, chain[0])) {
    throw new TlsConfigError(
      'ERR_TLS13_KEY_MISMATCH',
      `${key.format} ${key.kind} key does not match the public key of ${chain[0].subjectText}`,
    );
  }
  return { chain, key };
}

/** Whether the private key is the one whose public half `cert` carries. */
export function keyMatchesCertificate(key: PrivateKeyInfo, cert: Certificate): boolean {
  if (key.kind !== cert.keyKind && !(isRsa(key.kind) && isRsa(cert.keyKind))) return false;
  const derived = createPublicKey(key.keyObject).export({ type: 'spki', format: 'der' });
  if (derived.equals(cert.spki)) return true;
  // The same key can be written differently: a compressed EC point, RSASSA-PSS parameters
  // present in one and not the other. A probe signature settles it.
  const probe = Buffer.from('tls13 key match probe');
  const hash = key.kind === 'ed25519' || key.kind === 'ed448' ? null : 'sha256';
  try {
    return verify(hash, probe, cert.publicKey, sign(hash, probe, key.keyObject));
  } catch {
    return false;
  }
}

function isRsa(kind: KeyKind): boolean {
  return kind === 'rsa' || kind === 'rsa-pss';
}

function decodeWith<T>(decode: () => T, format: string): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof DecodeError) throw keyError(`${format} key is malformed: ${err.message}`);
    throw keyError(`${format} key does not match its ASN.1 structure`);
  }
}

function keyError(message: string): TlsConfigError {
  return new TlsConfigError('ERR_TLS13_INVALID_KEY', message);
}

function passphraseError(message: string): TlsConfigError {
  return new TlsConfigError('ERR_TLS13_KEY_PASSPHRASE', message);
}

function unsupported(message: string): TlsConfigError {
  return new TlsConfigError('ERR_TLS13_UNSUPPORTED_KEY', message);
}
