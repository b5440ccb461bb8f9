// The server's half of client authentication: the CertificateRequest it sends (RFC 8446,
// Section 4.3.2), then the client's Certificate (Section 4.4.2), which may be empty
// (Section 4.4.2.4), and its CertificateVerify (Section 4.4.3).

import type { Scheme } from '../crypto/schemes';
import { TlsProtocolError } from '../errors';
import { decodeCertificate, encodeCertificateRequest } from '../messages/authentication';
import * as ext from '../messages/extensions';
import type { HandshakeMessage } from '../messages/handshake';
import type { Certificate } from '../pki/certificate';
import { ExtensionType as E } from '../protocol/registry';
import { parsePeerCertificates, verifyPeerChain, type PeerVerification } from './certificate-auth';
import { receiveCertificateVerify } from './peer-proof';
import type { HandshakeIo } from './session';
import type { Transcript } from './transcript';

/** The longest client chain we parse. */
export const MAX_CLIENT_CHAIN_LENGTH = 10;

export interface ClientAuthenticationConfig {
  /** The schemes we accept, sent in signature_algorithms. */
  schemes: Scheme[];
  /** Whether a client without a good certificate is refused. */
  rejectUnauthorized: boolean;
  trusted: Certificate[] | undefined;
  /** Subject names sent in certificate_authorities (from `ca` only). */
  certificateAuthorities: Buffer[];
  time?: Date;
}

/** What the server learns of the client; read once the handshake completes. */
export class ClientAuthentication {
  readonly #io: HandshakeIo;
  readonly #config: ClientAuthenticationConfig;
  chain: Certificate[] = [];
  verification: PeerVerification = {
    authorized: false,
    authorizationError: undefined,
    verifiedChain: undefined,
  };
  scheme: Scheme | undefined;

  constructor(io: HandshakeIo, config: ClientAuthenticationConfig) {
    this.#io = io;
    this.#config = config;
  }

  sendRequest(transcript: Transcript): void {
    const { schemes, certificateAuthorities: authorities } = this.#config;
    const extensions: ext.Extension[] = [
      {
        type: E.signature_algorithms,
        data: ext.signatureSchemeList.encode(schemes.map((s) => s.code)),
      },
    ];
    if (authorities.length > 0) {
      extensions.push({
        type: E.certificate_authorities,
        data: ext.certificateAuthorities.encode(authorities),
      });
    }
    const raw = encodeCertificateRequest({
      certificateRequestContext: Buffer.alloc(0),
      extensions,
    });
    this.#io.tracer.message('sent', 'CertificateRequest', () => ({
      signature_algorithms: schemes.map((s) => s.name),
      certificate_authorities: authorities.length
        ? (this.#config.trusted?.map((c) => c.subjectText) ?? `${authorities.length} names`)
        : '(none: no ca configured)',
      required: this.#config.rejectUnauthorized ? 'yes' : 'no (rejectUnauthorized is false)',
    }));
    transcript.add(raw);
    this.#io.sendHandshake(raw);
  }

  /** Takes the client's Certificate; returns whether a CertificateVerify must follow. */
  receiveCertificate(message: HandshakeMessage, transcript: Transcript): boolean {
    const certificate = decodeCertificate(message.body);
    if (certificate.certificateRequestContext.length !== 0) {
      throw new TlsProtocolError(
        'illegal_parameter',
        'peer Certificate does not echo our certificate_request_context',
      );
    }
    this.chain = parsePeerCertificates(certificate, MAX_CLIENT_CHAIN_LENGTH);
    this.#io.tracer.message('received', 'Certificate', () => ({
      certificates: this.chain.length
        ? this.chain.map((c) => `${c.subjectText} (issued by ${c.issuerText})`)
        : '(empty)',
    }));
    transcript.add(message.raw);

    if (this.chain.length === 0) {
      this.#noCertificate();
      return false;
    }
    this.verification = verifyPeerChain(this.#io.tracer, {
      chain: this.chain,
      trusted: this.#config.trusted,
      name: undefined,
      purpose: 'client',
      reject: this.#config.rejectUnauthorized,
      time: this.#config.time,
    });
    return true;
  }

  // RFC 8446, Section 4.4.2.4: without a certificate the server may go on or end with
  // certificate_required; rejectUnauthorized decides which.
  #noCertificate(): void {
    if (this.#config.rejectUnauthorized) {
      throw new TlsProtocolError(
        'certificate_required',
        'peer sent no certificate, and one is required (requestCert with rejectUnauthorized)',
      );
    }
    this.#io.tracer.decision(
      'client certificate',
      'none',
      'the client sent none; going on because rejectUnauthorized is false',
    );
    this.verification = {
      authorized: false,
      authorizationError: 'UNABLE_TO_GET_ISSUER_CERT',
      verifiedChain: undefined,
    };
  }

  receiveCertificateVerify(message: HandshakeMessage, transcript: Transcript): void {
    this.scheme = receiveCertificateVerify(this.#io, message.body, {
      leaf: this.chain[0],
      offered: this.#config.schemes,
      peerIsServer: false,
      transcriptHash: transcript.hash(),
    });
    transcript.add(message.raw);
  }
}
