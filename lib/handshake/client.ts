// The client's handshake, in the order of RFC 8446, Section 2:
//
//   sendClientHello
//   receiveServerHello            (or receiveHelloRetryRequest, then sendClientHello again)
//   receiveEncryptedExtensions
//   receiveCertificateRequest     (only when the server asks for a certificate)
//   receiveCertificate
//   receiveCertificateVerify
//   receiveFinished
//   sendCertificate, sendCertificateVerify (when asked), sendFinished
//
// Each step takes the message it expects, checks it one rule per paragraph, adds it to the
// transcript and, where the step ends a key epoch, installs the next keys.

import type { KeyShare } from '../crypto/provider';
import { EarlySecret, type HandshakeSecret } from '../crypto/key-schedule';
import { groupByCode, type Group } from '../crypto/groups';
import type { Scheme } from '../crypto/schemes';
import type { Suite } from '../crypto/suites';
import { TlsProtocolError } from '../errors';
import { decodeCertificate, decodeEncryptedExtensions } from '../messages/authentication';
import * as ext from '../messages/extensions';
import type { HandshakeMessage } from '../messages/handshake';
import { decodeServerHello, type ServerHello } from '../messages/hello';
import type { Certificate } from '../pki/certificate';
import {
  ExtensionType as E,
  HandshakeType,
  HELLO_RETRY_REQUEST_RANDOM,
  NamedGroup,
  nameOf,
} from '../protocol/registry';
import {
  chooseClientIdentity,
  parsePeerCertificates,
  verifyPeerChain,
  type CertificateRequested,
  type LocalIdentity,
  type PeerVerification,
} from './certificate-auth';
import { readCertificateRequest } from './certificate-request';
import { buildClientHello, checkServerHelloCommon } from './client-hello';
import { expectMessage } from './expect';
import { sendCertificate, sendCertificateVerify, sendFinished } from './own-proof';
import { receiveCertificateVerify, receiveFinished } from './peer-proof';
import { checkExtensions } from './extension-rules';
import type { EstablishedSession, HandshakeDriver, HandshakeIo } from './session';
import { Transcript } from './transcript';

/** The longest server chain we parse; longer ones end with bad_certificate. */
export const MAX_PEER_CHAIN_LENGTH = 10;

export interface ClientHandshakeConfig {
  /** Sent as server_name; undefined for an IP address or when SNI is off. */
  servername: string | undefined;
  /** The name the server's certificate must carry. */
  verifyName: string | undefined;
  trusted: Certificate[] | undefined;
  rejectUnauthorized: boolean;
  checkServerIdentity?: (leaf: Certificate) => Error | undefined;
  alpnProtocols: string[];
  suites: Suite[];
  groups: Group[];
  keyShareGroups: Group[];
  schemes: Scheme[];
  identity?: LocalIdentity;
  /** Send a session id and the dummy ChangeCipherSpec (RFC 8446, Appendix D.4). */
  middleboxCompatibility: boolean;
  time?: Date;
}

type Expect =
  | 'ServerHello'
  | 'EncryptedExtensions'
  | 'CertificateOrRequest'
  | 'Certificate'
  | 'CertificateVerify'
  | 'Finished'
  | 'Done';

export class ClientHandshake implements HandshakeDriver {
  readonly #io: HandshakeIo;
  readonly #config: ClientHandshakeConfig;
  readonly #transcript: Transcript;
  readonly #random: Buffer;
  readonly #legacySessionId: Buffer;

  #expect: Expect = 'ServerHello';
  #shares: KeyShare[] = [];
  #offeredExtensions = new Set<number>();
  #cookie: Buffer | undefined;
  #retried = false;
  #sentChangeCipherSpec = false;
  #suite: Suite | undefined;
  #group: Group | undefined;
  #handshakeSecret: HandshakeSecret | undefined;
  #clientHandshakeTrafficSecret: Buffer | undefined;
  #serverHandshakeTrafficSecret: Buffer | undefined;
  #alpnProtocol: string | false = false;
  #requested: CertificateRequested | undefined;
  #peerChain: Certificate[] = [];
  #verification: PeerVerification | undefined;
  #peerScheme: Scheme | undefined;
  #withheld: string | undefined;

  constructor(io: HandshakeIo, config: ClientHandshakeConfig) {
    this.#io = io;
    this.#config = config;
    this.#transcript = new Transcript(io.provider);
    this.#random = io.provider.random(32);
    this.#legacySessionId = config.middleboxCompatibility
      ? io.provider.random(32)
      : Buffer.alloc(0);
  }

  get clientRandom(): Buffer {
    return this.#random;
  }

  start(): void {
    this.#shares = this.#config.keyShareGroups.map((g) => this.#io.provider.generateKeyShare(g));
    this.#sendClientHello();
  }

  handle(message: HandshakeMessage): void | Promise<void> {
    const expected = this.#expect;
    switch (expected) {
      case 'ServerHello':
        expectMessage(message, HandshakeType.server_hello);
        return this.#receiveServerHello(message);
      case 'EncryptedExtensions':
        expectMessage(message, HandshakeType.encrypted_extensions);
        return this.#receiveEncryptedExtensions(message);
      case 'CertificateOrRequest':
        if (message.type === HandshakeType.certificate_request) {
          return this.#receiveCertificateRequest(message);
        }
        expectMessage(message, HandshakeType.certificate);
        return this.#receiveCertificate(message);
      case 'Certificate':
        expectMessage(message, HandshakeType.certificate);
        return this.#receiveCertificate(message);
      case 'CertificateVerify':
        expectMessage(message, HandshakeType.certificate_verify);
        return this.#receiveCertificateVerify(message);
      case 'Finished':
        expectMessage(message, HandshakeType.finished);
        return this.#receiveFinished(message);
      case 'Done':
        throw new TlsProtocolError('unexpected_message', 'handshake message after Finished');
    }
  }

  #sendClientHello(): void {
    const c = this.#config;
    const { raw, offered } = buildClientHello(c, {
      random: this.#random,
      legacySessionId: this.#legacySessionId,
      shares: this.#shares,
      cookie: this.#cookie,
    });
    this.#offeredExtensions = offered;
    this.#io.tracer.message('sent', 'ClientHello', () => ({
      cipher_suites: c.suites.map((s) => s.name),
      supported_versions: ['TLS 1.3'],
      server_name: c.servername ?? '(none)',
      supported_groups: c.groups.map((g) => g.name),
      key_share: this.#shares.map((s) => s.group.name),
      signature_algorithms: c.schemes.map((s) => s.name),
      alpn: c.alpnProtocols.length ? c.alpnProtocols : '(none)',
      legacy_session_id: `${this.#legacySessionId.length} bytes`,
      cookie: this.#cookie ? `${this.#cookie.length} bytes` : '(none)',
    }));
    this.#transcript.add(raw);
    this.#io.sendHandshake(raw);
  }

  #receiveServerHello(message: HandshakeMessage): void {
    const hello = decodeServerHello(message.body);
    if (hello.random.equals(HELLO_RETRY_REQUEST_RANDOM)) {
      return this.#receiveHelloRetryRequest(message, hello);
    }
    const extensions = checkExtensions(hello.extensions, 'SH', this.#offeredExtensions);
    const suite = this.#checkServerHelloCommon(hello, extensions, 'ServerHello');

    const keyShareExt = extensions.get(E.key_share);
    if (!keyShareExt) {
      throw new TlsProtocolError('missing_extension', 'peer sent ServerHello without key_share');
    }
    const serverShare = ext.keyShareServerHello.decode(keyShareExt.data);
    const share = this.#shares.find((s) => s.group.code === serverShare.group);
    if (!share) {
      throw new TlsProtocolError(
        'illegal_parameter',
        `peer chose ${nameOf(NamedGroup, serverShare.group)}, for which we sent no key share`,
      );
    }
    this.#io.tracer.message('received', 'ServerHello', () => ({
      cipher_suite: suite.name,
      key_share: share.group.name,
      legacy_session_id_echo: `${hello.legacySessionId.length} bytes`,
    }));
    this.#io.tracer.decision('cipher suite', suite.name, 'chosen by the server from our list');
    this.#io.tracer.decision('group', share.group.name, 'the server took our key share');

    let sharedSecret: Buffer;
    try {
      sharedSecret = share.deriveSecret(serverShare.keyExchange);
    } catch (error) {
      throw new TlsProtocolError(
        'illegal_parameter',
        `peer sent an invalid ${share.group.name} key share: ${(error as Error).message}`,
      );
    }
    this.#suite = suite;
    this.#group = share.group;
    this.#transcript.start(suite);
    this.#transcript.add(message.raw);
    this.#establishHandshakeKeys(suite, sharedSecret);
    this.#expect = 'EncryptedExtensions';
  }

  #checkServerHelloCommon(
    hello: ServerHello,
    extensions: Map<number, ext.Extension>,
    what: string,
  ): Suite {
    return checkServerHelloCommon(hello, extensions, what, {
      legacySessionId: this.#legacySessionId,
      suites: this.#config.suites,
      retrySuite: this.#suite,
    });
  }

  #receiveHelloRetryRequest(message: HandshakeMessage, hello: ServerHello): void {
    if (this.#retried) {
      throw new TlsProtocolError('unexpected_message', 'peer sent a second HelloRetryRequest');
    }
    const offered = new Set([...this.#offeredExtensions].filter((t) => t !== E.cookie)).add(
      E.cookie,
    );
    const extensions = checkExtensions(hello.extensions, 'HRR', offered);
    const suite = this.#checkServerHelloCommon(hello, extensions, 'HelloRetryRequest');

    const keyShareExt = extensions.get(E.key_share);
    const cookieExt = extensions.get(E.cookie);
    const selected = keyShareExt
      ? ext.keyShareHelloRetryRequest.decode(keyShareExt.data)
      : undefined;
    this.#cookie = cookieExt ? ext.cookie.decode(cookieExt.data) : undefined;
    this.#io.tracer.message('received', 'HelloRetryRequest', () => ({
      cipher_suite: suite.name,
      selected_group: selected === undefined ? '(none)' : nameOf(NamedGroup, selected),
      cookie: this.#cookie ? `${this.#cookie.length} bytes` : '(none)',
    }));

    // RFC 8446, Section 4.1.4: the retry must change something, and only toward what we offered.
    if (selected === undefined && !this.#cookie) {
      throw new TlsProtocolError(
        'illegal_parameter',
        'peer HelloRetryRequest would not change the ClientHello',
      );
    }
    if (selected !== undefined) {
      const group = groupByCode(selected);
      if (!group || !this.#config.groups.includes(group)) {
        throw new TlsProtocolError(
          'illegal_parameter',
          `peer HelloRetryRequest selected ${nameOf(NamedGroup, selected)}, which was not offered`,
        );
      }
      if (this.#shares.some((s) => s.group === group)) {
        throw new TlsProtocolError(
          'illegal_parameter',
          `peer HelloRetryRequest selected ${group.name}, for which we already sent a key share`,
        );
      }
      this.#io.tracer.decision('group', group.name, 'the server asked for it by HelloRetryRequest');
      this.#shares = [this.#io.provider.generateKeyShare(group)];
    }

    this.#retried = true;
    this.#suite = suite;
    this.#transcript.replaceWithMessageHash(suite);
    this.#transcript.add(message.raw);
    if (this.#config.middleboxCompatibility) this.#sendChangeCipherSpec();
    this.#sendClientHello();
  }

  #sendChangeCipherSpec(): void {
    if (this.#sentChangeCipherSpec) return;
    this.#sentChangeCipherSpec = true;
    this.#io.sendChangeCipherSpec();
  }

  #establishHandshakeKeys(suite: Suite, sharedSecret: Buffer): void {
    const early = new EarlySecret(this.#io.provider, suite);
    this.#handshakeSecret = early.handshakeSecret(sharedSecret);
    const secrets = this.#handshakeSecret.trafficSecrets(this.#transcript.hash());
    this.#clientHandshakeTrafficSecret = secrets.client;
    this.#serverHandshakeTrafficSecret = secrets.server;
    this.#io.keylog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', secrets.client);
    this.#io.keylog('SERVER_HANDSHAKE_TRAFFIC_SECRET', secrets.server);
    this.#io.installReadKeys(suite, secrets.server, 'server_handshake_traffic_secret');
    // We send nothing more until our second flight, so our handshake keys go in now: an alert
    // about the server's flight then goes protected, as RFC 8446, Appendix A.1 asks, rather
    // than in the clear. The dummy ChangeCipherSpec still comes just before it (Appendix D.4).
    if (this.#config.middleboxCompatibility) this.#sendChangeCipherSpec();
    this.#io.installWriteKeys(suite, secrets.client, 'client_handshake_traffic_secret');
  }

  #receiveEncryptedExtensions(message: HandshakeMessage): void {
    const { extensions: list } = decodeEncryptedExtensions(message.body);
    const extensions = checkExtensions(list, 'EE', this.#offeredExtensions);

    const alpn = extensions.get(E.application_layer_protocol_negotiation);
    if (alpn) {
      const names = ext.protocolNameList.decode(alpn.data);
      if (names.length !== 1 || !this.#config.alpnProtocols.includes(names[0])) {
        throw new TlsProtocolError(
          'illegal_parameter',
          `peer selected ALPN ${names.join(',')}, which was not offered`,
        );
      }
      this.#alpnProtocol = names[0];
    }

    const serverName = extensions.get(E.server_name);
    if (serverName) ext.empty.decode(serverName.data, 'server_name');

    this.#io.tracer.message('received', 'EncryptedExtensions', () => ({
      extensions: list.map((e) => nameOf(E, e.type)),
      alpn: this.#alpnProtocol || '(none)',
    }));
    this.#transcript.add(message.raw);
    this.#expect = 'CertificateOrRequest';
  }

  #receiveCertificateRequest(message: HandshakeMessage): void {
    this.#requested = readCertificateRequest(message.body, this.#io.tracer);
    this.#transcript.add(message.raw);
    this.#expect = 'Certificate';
  }

  #receiveCertificate(message: HandshakeMessage): void {
    const certificate = decodeCertificate(message.body);

    if (certificate.certificateRequestContext.length !== 0) {
      throw new TlsProtocolError('illegal_parameter', 'peer Certificate has a non-empty context');
    }

    // RFC 8446, Section 4.4.2.4: a server must send a certificate.
    if (certificate.certificateList.length === 0) {
      throw new TlsProtocolError('decode_error', 'peer sent an empty Certificate');
    }

    this.#peerChain = parsePeerCertificates(certificate, MAX_PEER_CHAIN_LENGTH);
    this.#io.tracer.message('received', 'Certificate', () => ({
      certificates: this.#peerChain.map((c) => c.subjectText),
    }));

    const c = this.#config;
    const checkIdentity = c.checkServerIdentity;
    this.#verification = verifyPeerChain(this.#io.tracer, {
      chain: this.#peerChain,
      trusted: c.trusted,
      name: c.verifyName,
      purpose: 'server',
      reject: c.rejectUnauthorized,
      time: c.time,
      checkIdentity: checkIdentity ? (leaf) => checkIdentity(leaf) : undefined,
    });
    this.#transcript.add(message.raw);
    this.#expect = 'CertificateVerify';
  }

  #receiveCertificateVerify(message: HandshakeMessage): void {
    this.#peerScheme = receiveCertificateVerify(this.#io, message.body, {
      leaf: this.#peerChain[0],
      offered: this.#config.schemes,
      peerIsServer: true,
      transcriptHash: this.#transcript.hash(),
    });
    // Added only now: the signature covers the transcript before this message.
    this.#transcript.add(message.raw);
    this.#expect = 'Finished';
  }

  #receiveFinished(message: HandshakeMessage): void | Promise<void> {
    const suite = this.#suite as Suite;
    receiveFinished(
      this.#io,
      message.body,
      suite,
      this.#serverHandshakeTrafficSecret as Buffer,
      this.#transcript.hash(),
    );
    this.#transcript.add(message.raw);

    const master = (this.#handshakeSecret as HandshakeSecret).masterSecret();
    const application = master.applicationSecrets(this.#transcript.hash());
    this.#io.keylog('CLIENT_TRAFFIC_SECRET_0', application.client);
    this.#io.keylog('SERVER_TRAFFIC_SECRET_0', application.server);
    this.#io.keylog('EXPORTER_SECRET', application.exporter);
    this.#io.installReadKeys(suite, application.server, 'server_application_traffic_secret_0');
    this.#expect = 'Done';

    const finish = (ownScheme: Scheme | undefined, sent: boolean): void => {
      this.#sendFinished(suite);
      const resumption = master.resumptionMasterSecret(this.#transcript.hash());
      this.#io.installWriteKeys(suite, application.client, 'client_application_traffic_secret_0');
      this.#io.complete(this.#session(suite, application, resumption, ownScheme, sent));
    };
    if (!this.#requested) return finish(undefined, false);
    return this.#sendClientAuthentication(this.#requested, finish);
  }

  /** Certificate, and CertificateVerify when we have a usable identity (RFC 8446, 4.4.2). */
  #sendClientAuthentication(
    requested: CertificateRequested,
    finish: (scheme: Scheme | undefined, sent: boolean) => void,
  ): void | Promise<void> {
    const choice = chooseClientIdentity(
      this.#config.identity,
      this.#config.schemes,
      requested,
      this.#io.tracer,
    );
    const chain = choice.identity ? choice.identity.chain : [];
    const configured = this.#config.identity;
    if (!choice.identity && configured) {
      const leaf = configured.chain[0].subjectText;
      this.#withheld = `our certificate ${leaf} was not sent: ${choice.reason}`;
    }
    sendCertificate(this.#io, this.#transcript, requested.context, chain);
    if (!choice.identity) return finish(undefined, false);

    const { identity, scheme } = choice;
    const signed = sendCertificateVerify(this.#io, this.#transcript, identity, scheme, false);
    if (signed instanceof Promise) return signed.then(() => finish(scheme, true));
    finish(scheme, true);
  }

  #sendFinished(suite: Suite): void {
    const baseKey = this.#clientHandshakeTrafficSecret as Buffer;
    sendFinished(this.#io, this.#transcript, suite, baseKey);
  }

  #session(
    suite: Suite,
    application: { client: Buffer; server: Buffer; exporter: Buffer },
    resumption: Buffer,
    ownScheme: Scheme | undefined,
    sent: boolean,
  ): EstablishedSession {
    const verification = this.#verification as PeerVerification;
    return {
      suite,
      group: (this.#group as Group).name,
      clientRandom: this.#random,
      clientApplicationTrafficSecret: application.client,
      serverApplicationTrafficSecret: application.server,
      exporterMasterSecret: application.exporter,
      resumptionMasterSecret: resumption,
      alpnProtocol: this.#alpnProtocol,
      servername: this.#config.servername ?? false,
      peerChain: this.#peerChain,
      verifiedChain: verification.verifiedChain,
      authorized: verification.authorized,
      authorizationError: verification.authorizationError,
      signatureScheme: ownScheme?.name,
      peerSignatureScheme: this.#peerScheme?.name,
      sentCertificate: sent,
      clientCertificateWithheld: this.#withheld,
    };
  }
}
