// The server's handshake, in the order of RFC 8446, Section 2:
//
//   receiveClientHello            (suite, group, identity, ALPN; or sendHelloRetryRequest)
//   sendServerHello
//   sendEncryptedExtensions
//   sendCertificateRequest        (when requestCert; client-authentication.ts)
//   sendCertificate, sendCertificateVerify, sendFinished
//   receiveCertificate            (when requested; may be empty; client-authentication.ts)
//   receiveCertificateVerify      (when the client sent a certificate)
//   receiveFinished
//   sendNewSessionTicket
//
// Every negotiation decision goes to the trace with its reason, so that a person debugging a
// client can see what was offered, what was chosen and why.

import type { KeyShare } from '../crypto/provider';
import { EarlySecret, type HandshakeSecret, type MasterSecret } from '../crypto/key-schedule';
import type { Group } from '../crypto/groups';
import type { Scheme } from '../crypto/schemes';
import type { Suite } from '../crypto/suites';
import { TlsProtocolError } from '../errors';
import { encodeEncryptedExtensions } from '../messages/authentication';
import * as ext from '../messages/extensions';
import type { HandshakeMessage } from '../messages/handshake';
import { decodeClientHello, encodeServerHello, type ClientHello } from '../messages/hello';
import { encodeNewSessionTicket } from '../messages/post-handshake';
import type { Certificate } from '../pki/certificate';
import {
  ExtensionType as E,
  HandshakeType,
  HELLO_RETRY_REQUEST_RANDOM,
  ProtocolVersion,
  nameOf,
} from '../protocol/registry';
import type { LocalIdentity } from './certificate-auth';
import { ClientAuthentication } from './client-authentication';
import { clientHelloFields } from './describe';
import { expectMessage } from './expect';
import { sendCertificate, sendCertificateVerify, sendFinished } from './own-proof';
import { receiveFinished } from './peer-proof';
import { checkExtensions, checkPreSharedKeyLast } from './extension-rules';
import { chooseAlpn, chooseGroup, chooseIdentity, chooseSuite } from './negotiation';
import type { HandshakeDriver, HandshakeIo } from './session';
import { Transcript } from './transcript';

export { MAX_CLIENT_CHAIN_LENGTH } from './client-authentication';

export interface ServerHandshakeConfig {
  identities: LocalIdentity[];
  /** Picks identities by server_name; may answer later. */
  selectIdentities?: (servername: string) => LocalIdentity[] | Promise<LocalIdentity[]> | undefined;
  suites: Suite[];
  groups: Group[];
  schemes: Scheme[];
  alpnProtocols: string[];
  requestCert: boolean;
  rejectUnauthorized: boolean;
  trusted: Certificate[] | undefined;
  /** Subject names sent in certificate_authorities (from `ca` only). */
  certificateAuthorities: Buffer[];
  ticketCount: number;
  time?: Date;
}

type Expect =
  'ClientHello' | 'ClientHelloRetry' | 'Certificate' | 'CertificateVerify' | 'Finished' | 'Done';

interface Negotiated {
  suite: Suite;
  group: Group;
  peerShare: Buffer;
  identity: LocalIdentity;
  scheme: Scheme;
  alpn: string | false;
  servername: string | false;
}

export class ServerHandshake implements HandshakeDriver {
  readonly #io: HandshakeIo;
  readonly #config: ServerHandshakeConfig;
  readonly #transcript: Transcript;
  #expect: Expect = 'ClientHello';
  #firstHello: ClientHello | undefined;
  #retryGroup: Group | undefined;
  #retrySuite: Suite | undefined;
  #sentChangeCipherSpec = false;
  #negotiated: Negotiated | undefined;
  #handshakeSecret: HandshakeSecret | undefined;
  #clientHandshakeTrafficSecret: Buffer | undefined;
  #serverHandshakeTrafficSecret: Buffer | undefined;
  #master: MasterSecret | undefined;
  #application: { client: Buffer; server: Buffer; exporter: Buffer } | undefined;
  #clientRandom: Buffer | undefined;
  readonly #client: ClientAuthentication;

  /** Called with the client random as soon as it is known, for key log lines. */
  onClientRandom: ((random: Buffer) => void) | undefined;

  constructor(io: HandshakeIo, config: ServerHandshakeConfig) {
    this.#io = io;
    this.#config = config;
    this.#transcript = new Transcript(io.provider);
    this.#client = new ClientAuthentication(io, config);
  }

  start(): void {
    // The client speaks first.
  }

  handle(message: HandshakeMessage): void | Promise<void> {
    switch (this.#expect) {
      case 'ClientHello':
      case 'ClientHelloRetry':
        expectMessage(message, HandshakeType.client_hello);
        return this.#receiveClientHello(message);
      case 'Certificate':
        expectMessage(message, HandshakeType.certificate);
        this.#expect = this.#client.receiveCertificate(message, this.#transcript)
          ? 'CertificateVerify'
          : 'Finished';
        return;
      case 'CertificateVerify':
        expectMessage(message, HandshakeType.certificate_verify);
        this.#client.receiveCertificateVerify(message, this.#transcript);
        this.#expect = 'Finished';
        return;
      case 'Finished':
        expectMessage(message, HandshakeType.finished);
        return this.#receiveFinished(message);
      case 'Done':
        throw new TlsProtocolError('unexpected_message', 'handshake message after Finished');
    }
  }

  #receiveClientHello(message: HandshakeMessage): void | Promise<void> {
    const hello = decodeClientHello(message.body);
    const retry = this.#expect === 'ClientHelloRetry';
    const extensions = checkExtensions(hello.extensions, 'CH');
    checkPreSharedKeyLast(hello.extensions);
    this.#traceClientHello(hello, extensions, retry);

    const versions = extensions.get(E.supported_versions);
    if (
      !versions ||
      !ext.supportedVersionsList.decode(versions.data).includes(ProtocolVersion.TLS1_3)
    ) {
      throw new TlsProtocolError('protocol_version', 'peer does not speak TLS 1.3');
    }

    if (hello.legacyCompressionMethods.length !== 1 || hello.legacyCompressionMethods[0] !== 0) {
      throw new TlsProtocolError('illegal_parameter', 'peer ClientHello offers compression');
    }

    if (retry) this.#checkSecondClientHello(hello);
    else {
      this.#firstHello = hello;
      this.#clientRandom = hello.random;
      this.onClientRandom?.(hello.random);
    }

    const servername = this.#serverName(extensions);
    const pick = servername ? this.#config.selectIdentities?.(servername) : undefined;
    const proceed = (identities: LocalIdentity[] | undefined): void | Promise<void> =>
      this.#negotiate(
        message,
        hello,
        extensions,
        servername,
        identities ?? this.#config.identities,
      );
    if (pick instanceof Promise) return pick.then(proceed);
    return proceed(pick);
  }

  #negotiate(
    message: HandshakeMessage,
    hello: ClientHello,
    extensions: Map<number, ext.Extension>,
    servername: string | false,
    identities: LocalIdentity[],
  ): void | Promise<void> {
    const c = this.#config;
    const tracer = this.#io.tracer;
    const suite = this.#retrySuite ?? chooseSuite(c.suites, hello.cipherSuites, tracer);
    const { group, share } = chooseGroup(c.groups, extensions, this.#retryGroup, tracer);
    const { identity, scheme } = chooseIdentity(identities, c.schemes, extensions, tracer);
    const alpn = chooseAlpn(c.alpnProtocols, extensions, tracer);

    if (!share) {
      return this.#sendHelloRetryRequest(message, hello, suite, group);
    }
    this.#negotiated = { suite, group, peerShare: share, identity, scheme, alpn, servername };
    this.#transcript.start(suite);
    this.#transcript.add(message.raw);
    this.#sendServerHello(hello);
    this.#sendEncryptedExtensions(extensions);
    if (this.#config.requestCert) this.#client.sendRequest(this.#transcript);
    this.#sendCertificate();
    const signed = this.#sendCertificateVerify();
    if (signed instanceof Promise) return signed.then(() => this.#sendFinished());
    this.#sendFinished();
  }

  #traceClientHello(
    hello: ClientHello,
    extensions: Map<number, ext.Extension>,
    retry: boolean,
  ): void {
    const name = retry ? 'ClientHello (after HelloRetryRequest)' : 'ClientHello';
    this.#io.tracer.message('received', name, () => clientHelloFields(hello, extensions));
  }

  // RFC 8446, Section 4.1.2: the second ClientHello repeats the first but for key_share,
  // cookie, early_data and padding.
  #checkSecondClientHello(hello: ClientHello): void {
    const first = this.#firstHello as ClientHello;
    if (
      !hello.random.equals(first.random) ||
      !hello.legacySessionId.equals(first.legacySessionId)
    ) {
      throw new TlsProtocolError(
        'illegal_parameter',
        'peer changed random or session id after HelloRetryRequest',
      );
    }
    const suite = this.#retrySuite as Suite;
    if (!hello.cipherSuites.includes(suite.code)) {
      throw new TlsProtocolError(
        'illegal_parameter',
        `peer dropped ${suite.name} after HelloRetryRequest`,
      );
    }
  }

  #serverName(extensions: Map<number, ext.Extension>): string | false {
    const sni = extensions.get(E.server_name);
    if (!sni) return false;
    const names = ext.serverNameList.decode(sni.data);
    return names[0] ?? false;
  }

  #sendHelloRetryRequest(
    message: HandshakeMessage,
    hello: ClientHello,
    suite: Suite,
    group: Group,
  ): void {
    if (this.#expect === 'ClientHelloRetry') {
      throw new TlsProtocolError(
        'illegal_parameter',
        'peer second ClientHello still lacks a usable key share',
      );
    }
    this.#retryGroup = group;
    this.#retrySuite = suite;
    this.#transcript.add(message.raw);
    this.#transcript.replaceWithMessageHash(suite);
    const raw = encodeServerHello({
      legacyVersion: ProtocolVersion.TLS1_2,
      random: HELLO_RETRY_REQUEST_RANDOM,
      legacySessionId: hello.legacySessionId,
      cipherSuite: suite.code,
      legacyCompressionMethod: 0,
      extensions: [
        {
          type: E.supported_versions,
          data: ext.supportedVersionSelected.encode(ProtocolVersion.TLS1_3),
        },
        { type: E.key_share, data: ext.keyShareHelloRetryRequest.encode(group.code) },
      ],
    });
    this.#io.tracer.message('sent', 'HelloRetryRequest', () => ({
      cipher_suite: suite.name,
      selected_group: group.name,
      legacy_session_id_echo: `${hello.legacySessionId.length} bytes`,
    }));
    this.#transcript.add(raw);
    this.#io.sendHandshake(raw);
    this.#sendChangeCipherSpecOnce(hello);
    this.#expect = 'ClientHelloRetry';
  }

  // RFC 8446, Appendix D.4: a client that sent a session id expects the dummy ChangeCipherSpec.
  #sendChangeCipherSpecOnce(hello: ClientHello): void {
    if (this.#sentChangeCipherSpec || hello.legacySessionId.length === 0) return;
    this.#sentChangeCipherSpec = true;
    this.#io.sendChangeCipherSpec();
  }

  #sendServerHello(hello: ClientHello): void {
    const n = this.#negotiated as Negotiated;
    const share: KeyShare = this.#io.provider.generateKeyShare(n.group);
    let sharedSecret: Buffer;
    try {
      sharedSecret = share.deriveSecret(n.peerShare);
    } catch (error) {
      throw new TlsProtocolError(
        'illegal_parameter',
        `peer sent an invalid ${n.group.name} key share: ${(error as Error).message}`,
      );
    }
    const raw = encodeServerHello({
      legacyVersion: ProtocolVersion.TLS1_2,
      random: this.#io.provider.random(32),
      legacySessionId: hello.legacySessionId,
      cipherSuite: n.suite.code,
      legacyCompressionMethod: 0,
      extensions: [
        {
          type: E.supported_versions,
          data: ext.supportedVersionSelected.encode(ProtocolVersion.TLS1_3),
        },
        {
          type: E.key_share,
          data: ext.keyShareServerHello.encode({
            group: n.group.code,
            keyExchange: share.publicKey,
          }),
        },
      ],
    });
    this.#io.tracer.message('sent', 'ServerHello', () => ({
      cipher_suite: n.suite.name,
      key_share: n.group.name,
      legacy_session_id_echo: `${hello.legacySessionId.length} bytes`,
    }));
    this.#transcript.add(raw);
    this.#io.sendHandshake(raw);
    this.#sendChangeCipherSpecOnce(hello);

    const early = new EarlySecret(this.#io.provider, n.suite);
    this.#handshakeSecret = early.handshakeSecret(sharedSecret);
    const secrets = this.#handshakeSecret.trafficSecrets(this.#transcript.hash());
    this.#clientHandshakeTrafficSecret = secrets.client;
    this.#serverHandshakeTrafficSecret = secrets.server;
    this.#io.keylog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', secrets.client);
    this.#io.keylog('SERVER_HANDSHAKE_TRAFFIC_SECRET', secrets.server);
    this.#io.installWriteKeys(n.suite, secrets.server, 'server_handshake_traffic_secret');
    this.#io.installReadKeys(n.suite, secrets.client, 'client_handshake_traffic_secret');
  }

  #sendEncryptedExtensions(clientExtensions: Map<number, ext.Extension>): void {
    const n = this.#negotiated as Negotiated;
    const extensions: ext.Extension[] = [];
    // RFC 6066, Section 3: an empty server_name acknowledges that the name was used.
    if (n.servername && clientExtensions.has(E.server_name)) {
      extensions.push({ type: E.server_name, data: ext.empty.encode() });
    }
    if (n.alpn) {
      extensions.push({
        type: E.application_layer_protocol_negotiation,
        data: ext.protocolNameList.encode([n.alpn]),
      });
    }
    const raw = encodeEncryptedExtensions({ extensions });
    this.#io.tracer.message('sent', 'EncryptedExtensions', () => ({
      extensions: extensions.map((e) => nameOf(E, e.type)),
      alpn: n.alpn || '(none)',
    }));
    this.#transcript.add(raw);
    this.#io.sendHandshake(raw);
  }

  #sendCertificate(): void {
    const { identity } = this.#negotiated as Negotiated;
    sendCertificate(this.#io, this.#transcript, Buffer.alloc(0), identity.chain);
  }

  #sendCertificateVerify(): void | Promise<void> {
    const { identity, scheme } = this.#negotiated as Negotiated;
    return sendCertificateVerify(this.#io, this.#transcript, identity, scheme, true);
  }

  #sendFinished(): void {
    const { suite } = this.#negotiated as Negotiated;
    sendFinished(this.#io, this.#transcript, suite, this.#serverHandshakeTrafficSecret as Buffer);

    this.#master = (this.#handshakeSecret as HandshakeSecret).masterSecret();
    this.#application = this.#master.applicationSecrets(this.#transcript.hash());
    this.#io.keylog('CLIENT_TRAFFIC_SECRET_0', this.#application.client);
    this.#io.keylog('SERVER_TRAFFIC_SECRET_0', this.#application.server);
    this.#io.keylog('EXPORTER_SECRET', this.#application.exporter);
    this.#io.installWriteKeys(
      suite,
      this.#application.server,
      'server_application_traffic_secret_0',
    );
    this.#expect = this.#config.requestCert ? 'Certificate' : 'Finished';
  }

  #receiveFinished(message: HandshakeMessage): void {
    const n = this.#negotiated as Negotiated;
    receiveFinished(
      this.#io,
      message.body,
      n.suite,
      this.#clientHandshakeTrafficSecret as Buffer,
      this.#transcript.hash(),
    );
    this.#transcript.add(message.raw);

    const application = this.#application as { client: Buffer; server: Buffer; exporter: Buffer };
    const resumption = (this.#master as MasterSecret).resumptionMasterSecret(
      this.#transcript.hash(),
    );
    this.#io.installReadKeys(n.suite, application.client, 'client_application_traffic_secret_0');
    this.#expect = 'Done';
    // The tickets go before the application hears of the connection, so that nothing it does
    // at once (end() in secureConnection) can close the connection ahead of them.
    this.#sendNewSessionTickets();
    this.#io.complete({
      suite: n.suite,
      group: n.group.name,
      clientRandom: this.#clientRandom as Buffer,
      clientApplicationTrafficSecret: application.client,
      serverApplicationTrafficSecret: application.server,
      exporterMasterSecret: application.exporter,
      resumptionMasterSecret: resumption,
      alpnProtocol: n.alpn,
      servername: n.servername,
      peerChain: this.#client.chain,
      verifiedChain: this.#client.verification.verifiedChain,
      authorized: this.#client.verification.authorized,
      authorizationError: this.#client.verification.authorizationError,
      signatureScheme: n.scheme.name,
      peerSignatureScheme: this.#client.scheme?.name,
      sentCertificate: true,
    });
  }

  // Tickets are issued so clients can store them; resuming with one is not supported yet, so
  // each ticket is an opaque random label that this server will not accept back.
  #sendNewSessionTickets(): void {
    for (let i = 0; i < this.#config.ticketCount; i++) {
      const raw = encodeNewSessionTicket({
        ticketLifetime: 7200,
        ticketAgeAdd: this.#io.provider.random(4).readUInt32BE(0),
        ticketNonce: Buffer.of(i),
        ticket: this.#io.provider.random(32),
        extensions: [],
      });
      this.#io.tracer.message('sent', 'NewSessionTicket', () => ({ ticket_lifetime: '7200 s' }));
      this.#io.sendHandshake(raw);
    }
  }
}
