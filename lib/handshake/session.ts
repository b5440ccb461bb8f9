// What the handshake hands the engine and the socket when it completes, and the interface
// through which a handshake driver talks to the engine.

import type { Certificate } from '../pki/certificate';
import type { CryptoProvider } from '../crypto/provider';
import type { Suite } from '../crypto/suites';
import type { HandshakeMessage } from '../messages/handshake';
import type { KeylogLabel } from '../trace/keylog';
import type { Tracer } from '../trace/trace';

/**
 * The result of a completed handshake. Only a driver that has checked the peer's Finished (and,
 * where one was sent, its CertificateVerify) builds this; the engine carries application data
 * only once it holds one.
 */
export interface EstablishedSession {
  suite: Suite;
  group: string;
  clientRandom: Buffer;
  clientApplicationTrafficSecret: Buffer;
  serverApplicationTrafficSecret: Buffer;
  exporterMasterSecret: Buffer;
  resumptionMasterSecret: Buffer;
  alpnProtocol: string | false;
  servername: string | false;
  /** The certificates the peer sent, leaf first; empty when it sent none. */
  peerChain: Certificate[];
  /** The chain that verification built, leaf to anchor, when it succeeded. */
  verifiedChain: Certificate[] | undefined;
  authorized: boolean;
  authorizationError: string | undefined;
  /** The scheme of our own CertificateVerify, and of the peer's. */
  signatureScheme: string | undefined;
  peerSignatureScheme: string | undefined;
  /** Whether we sent a certificate of our own (client authentication). */
  sentCertificate: boolean;
  /** Why a configured client certificate was not sent, when it was not. */
  clientCertificateWithheld?: string;
}

/** What a driver may ask of the engine. */
export interface HandshakeIo {
  readonly provider: CryptoProvider;
  readonly tracer: Tracer;
  /** Queues a handshake message under the current write keys. */
  sendHandshake(raw: Buffer): void;
  /** Sends the dummy ChangeCipherSpec of middlebox compatibility (RFC 8446, Appendix D.4). */
  sendChangeCipherSpec(): void;
  installReadKeys(suite: Suite, secret: Buffer, name: string): void;
  installWriteKeys(suite: Suite, secret: Buffer, name: string): void;
  keylog(label: KeylogLabel, secret: Buffer): void;
  complete(session: EstablishedSession): void;
}

export interface HandshakeDriver {
  /** Sends the first flight, if this role has one. */
  start(): void;
  /** Handles one whole handshake message; a Promise means the driver waits for a signer. */
  handle(message: HandshakeMessage): void | Promise<void>;
}
