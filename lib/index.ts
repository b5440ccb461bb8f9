// The public surface of tls13.

export { connect, type ConnectOptions } from './connect';
export { Tls13Agent } from './agent';
export { TlsSocket, type PeerCertificate } from './socket';
export {
  TlsError,
  TlsProtocolError,
  TlsAlertError,
  TlsConfigError,
  CertificateVerificationError,
  DecodeError,
} from './errors';
export { verifyCertificateChain, type VerifyOptions, type VerifyResult } from './pki/chain';
export { loadPrivateKey, loadIdentity, type PrivateKeyInfo, type Identity } from './pki/keys';
export { loadPfx } from './pki/pkcs12';
export { loadCertificates, parseCertificate, Certificate } from './pki/certificate';
export { renderTrace, type TraceRecord } from './trace/trace';
export type { Signer } from './handshake/certificate-auth';
export type { CryptoProvider } from './crypto/provider';
export {
  createServer,
  createSecureContext,
  Server,
  SecureContext,
  type ServerOptions,
  type SniCallback,
} from './server';
