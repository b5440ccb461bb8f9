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
import { EarlySecret, type HandshakeSecret, verifyData } from '../crypto/key-schedule';
import { groupByCode, type Group } from '../crypto/groups';
import { CERTIFICATE_SCHEMES, type Scheme } from '../crypto/schemes';
import { suiteByCode, type Suite } from '../crypto/suites';
import { TlsProtocolError } from '../errors';
import {
  decodeCertificate,
  decodeCertificateRequest,
  decodeCertificateVerify,
  decodeEncryptedExtensions,
  decodeFinished,
  encodeCertificate,
  encodeCertificateVerify,
  encodeFinished,
} from '../messages/authentication';
import * as ext from '../messages/extensions';
import type { HandshakeMessage } from '../messages/handshake';
import { decodeServerHello, encodeClientHello, type ServerHello } from '../messages/hello';
import { parseCertificate, type Certificate } from '../pki/certificate';
import {
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  ExtensionType as E,
  HandshakeType,
  HELLO_RETRY_REQUEST_RANDOM,
  NamedGroup,
  ProtocolVersion,
  PskKeyExchangeMode,
  SignatureScheme,
  nameOf,
} from '../protocol/registry';
import {
  chooseScheme,
  describeKey,
  schemeNames,
  signCertificateVerify,
  verifyCertificateVerify,
  verifyPeerChain,
  type LocalIdentity,
  type PeerVerification,
} from './certificate-auth';
import { checkExtensions } from './extension-rules';
import type { EstablishedSession, HandshakeDriver, HandshakeIo } from './session';
import { Transcript } from './transcript';

/** certificate_authorities with a zero-length list, as OpenSSL sends it with -no_ca_names. */
const EMPTY_AUTHORITIES = Buffer.alloc(2);

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

interface CertificateRequested {
  context: Buffer;
  schemes: number[];
  authorities: Buffer[];
}

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
        this.#require(message, HandshakeType.server_hello);
        return this.#receiveServerHello(message);
      case 'EncryptedExtensions':
        this.#require(message, HandshakeType.encrypted_extensions);
        return this.#receiveEncryptedExtensions(message);
      case 'CertificateOrRequest':
        if (message.type === HandshakeType.certificate_request) {
          return this.#receiveCertificateRequest(message);
        }
        this.#require(message, HandshakeType.certificate);
        return this.#receiveCertificate(message);
      case 'Certificate':
        this.#require(message, HandshakeType.certificate);
        return this.#receiveCertificate(message);
      case 'CertificateVerify':
        this.#require(message, HandshakeType.certificate_verify);
        return this.#receiveCertificateVerify(message);
      case 'Finished':
        this.#require(message, HandshakeType.finished);
        return this.#receiveFinished(message);
      case 'Done':
        throw new TlsProtocolError('unexpected_message', 'handshake message after Finished');
    }
  }

  #require(message: HandshakeMessage, type: number): void {
    if (message.type !== type) {
      throw new TlsProtocolError(
        'unexpected_message',
        `peer sent ${nameOf(HandshakeType, message.type)} where ${nameOf(HandshakeType, type)} was expected`,
      );
    }
  }

  #sendClientHello(): void {
    const c = this.#config;
    const extensions: ext.Extension[] = [];
    const add = (type: number, data: Buffer): void => {
      extensions.push({ type, data });
    };
    if (c.servername) add(E.server_name, ext.serverNameList.encode(c.servername));
    add(E.supported_groups, ext.namedGroupList.encode(c.groups.map((g) => g.code)));
    add(E.signature_algorithms, ext.signatureSchemeList.encode(c.schemes.map((s) => s.code)));
    add(
      E.signature_algorithms_cert,
      ext.signatureSchemeList.encode(CERTIFICATE_SCHEMES.map((s) => s.code)),
    );
    if (c.alpnProtocols.length) {
      add(E.application_layer_protocol_negotiation, ext.protocolNameList.encode(c.alpnProtocols));
    }
    add(
      E.key_share,
      ext.keyShareClientHello.encode(
        this.#shares.map((s) => ({ group: s.group.code, keyExchange: s.publicKey })),
      ),
    );
    add(E.supported_versions, ext.supportedVersionsList.encode([ProtocolVersion.TLS1_3]));
    // Offered so that servers issue tickets, which are kept for the resumption work.
    add(E.psk_key_exchange_modes, ext.pskKeyExchangeModes.encode([PskKeyExchangeMode.psk_dhe_ke]));
    if (this.#cookie) add(E.cookie, ext.cookie.encode(this.#cookie));
    this.#offeredExtensions = new Set(extensions.map((e) => e.type));

    const raw = encodeClientHello({
      legacyVersion: ProtocolVersion.TLS1_2,
      random: this.#random,
      legacySessionId: this.#legacySessionId,
      cipherSuites: c.suites.map((s) => s.code),
      legacyCompressionMethods: Buffer.of(0),
      extensions,
    });
    this.#io.tracer.message('sent', 'ClientHello', () => ({
      cipher_suites: c.suites.map((s) => s.name),
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

  /** Checks shared by ServerHello and HelloRetryRequest (RFC 8446, Sections 4.1.3 and 4.1.4). */
  #checkServerHelloCommon(
    hello: ServerHello,
    extensions: Map<number, ext.Extension>,
    what: string,
  ): Suite {
    const versionExt = extensions.get(E.supported_versions);
    if (!versionExt) {
      // RFC 8446, Section 4.1.3: a TLS 1.2 answer carrying the downgrade sentinel is an attack.
      const tail = hello.random.subarray(24);
      if (tail.equals(DOWNGRADE_TLS12) || tail.equals(DOWNGRADE_TLS11)) {
        throw new TlsProtocolError(
          'illegal_parameter',
          'peer ServerHello carries a downgrade sentinel',
        );
      }
      throw new TlsProtocolError('protocol_version', 'peer does not speak TLS 1.3');
    }
    const version = ext.supportedVersionSelected.decode(versionExt.data);
    if (version !== ProtocolVersion.TLS1_3) {
      throw new TlsProtocolError(
        'illegal_parameter',
        `peer selected version 0x${version.toString(16)}, not offered`,
      );
    }
    if (hello.legacyVersion !== ProtocolVersion.TLS1_2) {
      throw new TlsProtocolError(
        'illegal_parameter',
        `peer ${what} has legacy_version 0x${hello.legacyVersion.toString(16)}`,
      );
    }

    if (!hello.legacySessionId.equals(this.#legacySessionId)) {
      throw new TlsProtocolError(
        'illegal_parameter',
        `peer ${what} does not echo our legacy_session_id`,
      );
    }

    if (hello.legacyCompressionMethod !== 0) {
      throw new TlsProtocolError('illegal_parameter', `peer ${what} selected a compression method`);
    }

    const suite = suiteByCode(hello.cipherSuite);
    if (!suite || !this.#config.suites.includes(suite)) {
      throw new TlsProtocolError(
        'illegal_parameter',
        `peer selected cipher suite 0x${hello.cipherSuite.toString(16)}, which was not offered`,
      );
    }
    // After a HelloRetryRequest, the ServerHello must keep its suite (RFC 8446, Section 4.1.4).
    if (this.#suite && this.#suite !== suite) {
      throw new TlsProtocolError(
        'illegal_parameter',
        `peer changed cipher suite after HelloRetryRequest`,
      );
    }
    return suite;
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
    const request = decodeCertificateRequest(message.body);
    const extensions = checkExtensions(request.extensions, 'CR');

    // RFC 8446, Section 4.3.2: in the handshake the context is empty.
    if (request.certificateRequestContext.length !== 0) {
      throw new TlsProtocolError(
        'illegal_parameter',
        'peer CertificateRequest has a non-empty context',
      );
    }

    const sigExt = extensions.get(E.signature_algorithms);
    if (!sigExt) {
      throw new TlsProtocolError(
        'missing_extension',
        'peer CertificateRequest has no signature_algorithms',
      );
    }
    const schemes = ext.signatureSchemeList.decode(sigExt.data);
    // OpenSSL 3.0 told not to name its CAs (s_server -no_ca_names) still sends this extension,
    // with an empty list below the RFC's minimum of 3 bytes. OpenSSL's own client reads that as
    // naming no CA; so do we, rather than fail the handshake with decode_error.
    const caExt = extensions.get(E.certificate_authorities);
    const emptyList = caExt !== undefined && caExt.data.equals(EMPTY_AUTHORITIES);
    const authorities = caExt && !emptyList ? ext.certificateAuthorities.decode(caExt.data) : [];

    this.#io.tracer.message('received', 'CertificateRequest', () => ({
      signature_algorithms: schemeNames(schemes),
      certificate_authorities: caExt ? `${authorities.length} names` : '(none)',
    }));
    this.#requested = { context: request.certificateRequestContext, schemes, authorities };
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

    if (certificate.certificateList.length > MAX_PEER_CHAIN_LENGTH) {
      throw new TlsProtocolError(
        'bad_certificate',
        `peer sent ${certificate.certificateList.length} certificates, over the limit of ${MAX_PEER_CHAIN_LENGTH}`,
      );
    }

    // We ask for no per-certificate extensions, so none may come back.
    for (const entry of certificate.certificateList)
      checkExtensions(entry.extensions, 'CT', new Set());

    this.#peerChain = certificate.certificateList.map((entry, i) => {
      try {
        return parseCertificate(entry.certData);
      } catch (error) {
        throw new TlsProtocolError(
          'bad_certificate',
          `peer certificate ${i} cannot be parsed: ${(error as Error).message}`,
        );
      }
    });
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
    const verify = decodeCertificateVerify(message.body);
    this.#io.tracer.message('received', 'CertificateVerify', () => ({
      algorithm: nameOf(SignatureScheme, verify.algorithm),
      signature: `${verify.signature.length} bytes`,
    }));
    this.#peerScheme = verifyCertificateVerify(this.#io.provider, this.#io.tracer, {
      algorithm: verify.algorithm,
      signature: verify.signature,
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
    const finished = decodeFinished(message.body, suite.hashLength);
    const expected = verifyData(
      this.#io.provider,
      suite,
      this.#serverHandshakeTrafficSecret as Buffer,
      this.#transcript.hash(),
    );
    const ok = this.#io.provider.equal(expected, finished.verifyData);
    this.#io.tracer.message('received', 'Finished', () => ({
      verify_data: ok ? 'matches' : 'WRONG',
    }));
    if (!ok)
      throw new TlsProtocolError('decrypt_error', 'peer Finished does not match the transcript');
    this.#transcript.add(message.raw);

    const master = (this.#handshakeSecret as HandshakeSecret).masterSecret();
    const application = master.applicationSecrets(this.#transcript.hash());
    this.#io.keylog('CLIENT_TRAFFIC_SECRET_0', application.client);
    this.#io.keylog('SERVER_TRAFFIC_SECRET_0', application.server);
    this.#io.keylog('EXPORTER_SECRET', application.exporter);
    this.#io.installReadKeys(suite, application.server, 'server_application_traffic_secret_0');
    this.#expect = 'Done';

    if (this.#config.middleboxCompatibility) this.#sendChangeCipherSpec();
    this.#io.installWriteKeys(
      suite,
      this.#clientHandshakeTrafficSecret as Buffer,
      'client_handshake_traffic_secret',
    );

    const finish = (ownScheme: Scheme | undefined, sent: boolean): void => {
      this.#sendFinished(suite);
      const resumption = master.resumptionMasterSecret(this.#transcript.hash());
      this.#io.installWriteKeys(suite, application.client, 'client_application_traffic_secret_0');
      this.#io.complete(this.#session(suite, application, resumption, ownScheme, sent));
    };
    if (!this.#requested) return finish(undefined, false);
    return this.#sendClientAuthentication(this.#requested, finish);
  }

  /** Certificate and, when we have a usable identity, CertificateVerify (RFC 8446, Section 4.4.2). */
  #sendClientAuthentication(
    requested: CertificateRequested,
    finish: (scheme: Scheme | undefined, sent: boolean) => void,
  ): void | Promise<void> {
    const choice = this.#chooseIdentity(requested);
    const chain = choice ? choice.identity.chain : [];
    const raw = encodeCertificate({
      certificateRequestContext: requested.context,
      certificateList: chain.map((c) => ({ certData: c.der, extensions: [] })),
    });
    this.#io.tracer.message('sent', 'Certificate', () => ({
      certificates: chain.length ? chain.map((c) => c.subjectText) : '(empty)',
    }));
    this.#transcript.add(raw);
    this.#io.sendHandshake(raw);
    if (!choice) return finish(undefined, false);

    const { identity, scheme } = choice;
    const signature = signCertificateVerify(
      this.#io.provider,
      identity,
      scheme,
      false,
      this.#transcript.hash(),
    );
    const send = (sig: Buffer): void => {
      const cv = encodeCertificateVerify({ algorithm: scheme.code, signature: sig });
      this.#io.tracer.message('sent', 'CertificateVerify', () => ({
        algorithm: scheme.name,
        signature: `${sig.length} bytes`,
      }));
      this.#transcript.add(cv);
      this.#io.sendHandshake(cv);
      finish(scheme, true);
    };
    if (Buffer.isBuffer(signature)) return send(signature);
    return signature.then(send);
  }

  /** Decides whether our identity answers the request, and says why in the trace. */
  #chooseIdentity(
    requested: CertificateRequested,
  ): { identity: LocalIdentity; scheme: Scheme } | undefined {
    const identity = this.#config.identity;
    const tracer = this.#io.tracer;
    if (!identity) {
      tracer.decision('client certificate', 'none', 'no cert and key were configured');
      return undefined;
    }
    const leaf = identity.chain[0];
    const keyName = describeKey(identity.key);
    const scheme = chooseScheme(identity.key, this.#config.schemes, requested.schemes);
    if (!scheme) {
      tracer.decision(
        'client certificate',
        'none',
        `our ${keyName} key can sign with none of the server's signature_algorithms`,
      );
      return undefined;
    }
    if (
      requested.authorities.length > 0 &&
      !matchesAuthorities(identity.chain, requested.authorities)
    ) {
      tracer.decision(
        'client certificate',
        'none',
        `no certificate of our chain is or is issued by one of the ${requested.authorities.length} CAs the server named`,
      );
      return undefined;
    }
    tracer.decision(
      'client certificate',
      leaf.subjectText,
      `our ${keyName} key can sign with ${scheme.name}, which the server accepts`,
    );
    return { identity, scheme };
  }

  #sendFinished(suite: Suite): void {
    const data = verifyData(
      this.#io.provider,
      suite,
      this.#clientHandshakeTrafficSecret as Buffer,
      this.#transcript.hash(),
    );
    const raw = encodeFinished({ verifyData: data });
    this.#io.tracer.message('sent', 'Finished', () => ({ verify_data: `${data.length} bytes` }));
    this.#transcript.add(raw);
    this.#io.sendHandshake(raw);
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
    };
  }
}

/** Whether some certificate of the chain is one of the named CAs or is issued by one. */
function matchesAuthorities(
  chain: readonly Certificate[],
  authorities: readonly Buffer[],
): boolean {
  return chain.some((c) =>
    authorities.some((name) => name.equals(c.subject) || name.equals(c.issuer)),
  );
}
