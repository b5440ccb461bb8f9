// The PKI layer: PEM and DER, certificates, private keys, path validation, server identity.

export { decodePem, encodePem, looksLikePem, type PemBlock } from './pem';
export {
  Certificate,
  type KeyKind,
  loadCertificates,
  type NamedCurve,
  parseCertificate,
  readCertificateFile,
} from './certificate';
export {
  type Identity,
  keyMatchesCertificate,
  keyToJwk,
  loadIdentity,
  loadPrivateKey,
  type PrivateKeyInfo,
} from './keys';
export {
  DEFAULT_MAX_DEPTH,
  type VerifyOptions,
  type VerifyResult,
  verifyCertificateChain,
} from './chain';
export { checkServerName, type NameCheck } from './identity';
export { defaultTrustStore, resetDefaultTrustStore } from './trust-store';
export { loadPfx } from './pkcs12';
