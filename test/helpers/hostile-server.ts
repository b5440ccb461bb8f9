// A TLS 1.3 server built from our own codecs, record protection and key schedule, that a test
// scripts step by step so it can break the protocol on purpose: oversized records, empty inner
// plaintext, a ChangeCipherSpec out of place, a message across a key change, a wrong session id
// echo, a bad Finished. It also reads back, decrypting where needed, the alerts our client sent.
// It speaks TLS_AES_128_GCM_SHA256 with x25519 (or another group, after a HelloRetryRequest)
// and signs with the demo ECDSA server key.

import { createPrivateKey } from 'node:crypto';
import * as net from 'node:net';
import type { ExecutionContext } from 'ava';
import type { KeyShare } from '../../lib/crypto/provider';
import { groupByName, type Group } from '../../lib/crypto/groups';
import {
  EarlySecret, certificateVerifyContent, trafficKeys, verifyData, type HandshakeSecret,
  type TrafficKeys,
} from '../../lib/crypto/key-schedule';
import { NodeCryptoProvider } from '../../lib/crypto/node-provider';
import { schemeByName, type Scheme } from '../../lib/crypto/schemes';
import { IV_LENGTH, TAG_LENGTH, suiteByName, type Suite } from '../../lib/crypto/suites';
import { Transcript } from '../../lib/handshake/transcript';
import {
  encodeCertificate, encodeCertificateVerify, encodeEncryptedExtensions, encodeFinished,
} from '../../lib/messages/authentication';
import * as ext from '../../lib/messages/extensions';
import { decodeClientHello, encodeServerHello, type ClientHello } from '../../lib/messages/hello';
import { loadCertificates } from '../../lib/pki/certificate';
import {
  ContentType, ExtensionType, HELLO_RETRY_REQUEST_RANDOM, ProtocolVersion,
} from '../../lib/protocol/registry';
import { plaintextRecord } from '../../lib/record/protection';
import { LOOPBACK } from './peers';
import { demo } from './pki';

const provider = new NodeCryptoProvider();
const SUITE = suiteByName('TLS_AES_128_GCM_SHA256') as Suite;
const X25519 = groupByName('x25519') as Group;
const SCHEME = schemeByName('ecdsa_secp256r1_sha256') as Scheme;

export interface ReceivedAlert {
  level: number;
  description: number;
  /** True when it came inside a protected record. */
  protected: boolean;
}

export interface ServerHelloOptions {
  group?: Group;
  legacySessionId?: Buffer;
  /** A code other than the suite the keys use, to test the client's checks. */
  cipherSuite?: number;
  random?: Buffer;
  /** false leaves supported_versions out, as a TLS 1.2 server would. */
  supportedVersions?: boolean;
}

export interface FlightOptions {
  corruptFinished?: boolean;
  /** Flip a bit of the CertificateVerify signature. */
  corruptSignature?: boolean;
  /** The scheme CertificateVerify names (the signature stays ECDSA P-256). */
  algorithm?: number;
  /** A Certificate message with no certificate. */
  emptyCertificate?: boolean;
  encryptedExtensions?: ext.Extension[];
  /** A CertificateRequest, encoded, sent after EncryptedExtensions. */
  certificateRequest?: Buffer;
}

interface Epoch {
  keys: TrafficKeys;
  sequence: bigint;
}

/** One connection of the hostile server, driven by the test's script. */
export class HostileConnection {
  readonly socket: net.Socket;
  readonly transcript = new Transcript(provider);
  readonly closed: Promise<void>;
  #received = Buffer.alloc(0);
  #readAt = 0;
  #wake: Array<() => void> = [];
  #share: KeyShare | undefined;
  #handshakeSecret: HandshakeSecret | undefined;
  #serverHandshakeTrafficSecret: Buffer | undefined;
  #serverEpoch: Epoch | undefined;
  #serverApplicationEpoch: Epoch | undefined;
  #retried = false;
  /** The client's write keys, in the order it uses them: handshake, then application. */
  #clientEpochs: TrafficKeys[] = [];

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      for (const wake of this.#wake.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** Waits for the next unprotected handshake record, skipping ChangeCipherSpec. */
  async #nextHandshakeRecord(): Promise<Buffer> {
    for (;;) {
      const data = this.#received;
      const at = this.#readAt;
      if (data.length >= at + 5 && data.length >= at + 5 + data.readUInt16BE(at + 3)) {
        const fragment = data.subarray(at + 5, at + 5 + data.readUInt16BE(at + 3));
        this.#readAt = at + 5 + fragment.length;
        if (data[at] === ContentType.handshake) return fragment;
        if (data[at] !== ContentType.change_cipher_spec) throw new Error(`record type ${data[at]}`);
      } else {
        await new Promise<void>((resolve) => this.#wake.push(resolve));
      }
    }
  }

  /** Waits for the next ClientHello (each fits one record) and adds it to the transcript. */
  async clientHello(): Promise<ClientHello> {
    const raw = await this.#nextHandshakeRecord();
    this.transcript.add(raw);
    return decodeClientHello(raw.subarray(4));
  }

  /**
   * HelloRetryRequest asking for `selectedGroup` and/or echoing `cookie`; the transcript's
   * ClientHello becomes its message_hash (RFC 8446, Section 4.4.1).
   */
  helloRetryRequest(hello: ClientHello, selectedGroup: number | undefined,
    options: { cipherSuite?: number; cookie?: Buffer } = {}): Buffer {
    const keyShare = selectedGroup === undefined ? [] : [
      { type: ExtensionType.key_share, data: ext.keyShareHelloRetryRequest.encode(selectedGroup) },
    ];
    const cookie = options.cookie ? [
      { type: ExtensionType.cookie, data: ext.cookie.encode(options.cookie) },
    ] : [];
    const raw = encodeServerHello({
      legacyVersion: ProtocolVersion.TLS1_2,
      random: HELLO_RETRY_REQUEST_RANDOM,
      legacySessionId: hello.legacySessionId,
      cipherSuite: options.cipherSuite ?? SUITE.code,
      legacyCompressionMethod: 0,
      extensions: [
        { type: ExtensionType.supported_versions,
          data: ext.supportedVersionSelected.encode(ProtocolVersion.TLS1_3) },
        ...keyShare, ...cookie,
      ],
    });
    // A second HelloRetryRequest is a fault the client must catch; its transcript is moot.
    if (!this.#retried) this.transcript.replaceWithMessageHash(SUITE);
    this.#retried = true;
    this.transcript.add(raw);
    return raw;
  }

  /**
   * ServerHello answering `hello` with x25519 (or `group`), echoing the client's session id
   * unless told otherwise; derives the handshake keys, so what is sent next is protected.
   */
  serverHello(hello: ClientHello, options: ServerHelloOptions = {}): Buffer {
    const group = options.group ?? X25519;
    const shares = ext.keyShareClientHello.decode(
      hello.extensions.find((e) => e.type === ExtensionType.key_share)?.data ?? Buffer.alloc(2));
    const theirs = shares.find((s) => s.group === group.code);
    if (!theirs) throw new Error(`the client sent no ${group.name} key share`);
    this.#share = provider.generateKeyShare(group);
    const versions = options.supportedVersions === false ? [] : [
      { type: ExtensionType.supported_versions,
        data: ext.supportedVersionSelected.encode(ProtocolVersion.TLS1_3) },
    ];
    const raw = encodeServerHello({
      legacyVersion: ProtocolVersion.TLS1_2,
      random: options.random ?? provider.random(32),
      legacySessionId: options.legacySessionId ?? hello.legacySessionId,
      cipherSuite: options.cipherSuite ?? SUITE.code,
      legacyCompressionMethod: 0,
      extensions: [
        ...versions,
        { type: ExtensionType.key_share, data: ext.keyShareServerHello.encode({
          group: group.code, keyExchange: this.#share.publicKey,
        }) },
      ],
    });
    this.transcript.start(SUITE);
    this.transcript.add(raw);
    const sharedSecret = this.#share.deriveSecret(theirs.keyExchange);
    this.#handshakeSecret = new EarlySecret(provider, SUITE).handshakeSecret(sharedSecret);
    const secrets = this.#handshakeSecret.trafficSecrets(this.transcript.hash());
    this.#serverHandshakeTrafficSecret = secrets.server;
    this.#serverEpoch = { keys: trafficKeys(provider, SUITE, secrets.server), sequence: 0n };
    this.#clientEpochs.push(trafficKeys(provider, SUITE, secrets.client));
    return raw;
  }

  /** EncryptedExtensions, Certificate, CertificateVerify and Finished of the demo server. */
  serverFlight(options: FlightOptions = {}): Buffer[] {
    const encryptedExtensions = encodeEncryptedExtensions({
      extensions: options.encryptedExtensions ?? [],
    });
    this.transcript.add(encryptedExtensions);
    const request = options.certificateRequest ? [options.certificateRequest] : [];
    request.forEach((raw) => this.transcript.add(raw));

    const chain = options.emptyCertificate ? [] : loadCertificates(demo('server.pem'));
    const certificate = encodeCertificate({
      certificateRequestContext: Buffer.alloc(0),
      certificateList: chain.map((c) => ({ certData: c.der, extensions: [] })),
    });
    this.transcript.add(certificate);

    const key = createPrivateKey(demo('server-key.pem'));
    const signature = provider.sign(SCHEME, key,
      certificateVerifyContent(true, this.transcript.hash()));
    if (options.corruptSignature) signature[signature.length - 1] ^= 0x01;
    const certificateVerify = encodeCertificateVerify({
      algorithm: options.algorithm ?? SCHEME.code, signature,
    });
    this.transcript.add(certificateVerify);

    const data = verifyData(provider, SUITE, this.#serverHandshakeTrafficSecret as Buffer,
      this.transcript.hash());
    if (options.corruptFinished) data[0] ^= 0x01;
    const finished = encodeFinished({ verifyData: data });
    this.transcript.add(finished);

    // The client's application keys, to read what it sends after its Finished.
    const master = (this.#handshakeSecret as HandshakeSecret).masterSecret();
    const application = master.applicationSecrets(this.transcript.hash());
    this.#clientEpochs.push(trafficKeys(provider, SUITE, application.client));
    this.#serverApplicationEpoch = {
      keys: trafficKeys(provider, SUITE, application.server), sequence: 0n,
    };
    return [encryptedExtensions, ...request, certificate, certificateVerify, finished];
  }

  /** From now on, protect records with server_application_traffic_secret_0. */
  useApplicationKeys(): void {
    if (!this.#serverApplicationEpoch) throw new Error('no application keys before the flight');
    this.#serverEpoch = this.#serverApplicationEpoch;
  }

  /** An unprotected record, with any content and any length. */
  sendPlaintext(type: number, content: Buffer): void {
    this.socket.write(Buffer.concat(plaintextRecord(type, content)));
  }

  /**
   * A record under the server's current keys; `type` goes inside, as TLS 1.3 hides it, followed
   * by `padding` zero bytes (RFC 8446, Section 5.4).
   */
  sendProtected(type: number, content: Buffer, padding = 0): void {
    if (!this.#serverEpoch) throw new Error('no keys before ServerHello');
    // Sealed here rather than by lib/record, which refuses to make a record over the limit.
    const epoch = this.#serverEpoch;
    const header = Buffer.concat([Buffer.of(ContentType.application_data, 3, 3), Buffer.alloc(2)]);
    header.writeUInt16BE(content.length + 1 + padding + TAG_LENGTH, 3);
    const { ciphertext, tag } = provider.aead(SUITE.aead, epoch.keys.key)
      .seal(nonceOf(epoch), header, [content, Buffer.of(type), Buffer.alloc(padding)]);
    epoch.sequence++;
    this.socket.write(Buffer.concat([header, ...ciphertext, tag]));
  }

  /** Every alert in what the client sent, opening protected records with its keys in turn. */
  alertsFromClient(): ReceivedAlert[] {
    const found: ReceivedAlert[] = [];
    const epochs: Epoch[] = this.#clientEpochs.map((keys) => ({ keys, sequence: 0n }));
    let at = 0;
    while (at + 5 <= this.#received.length) {
      const header = this.#received.subarray(at, at + 5);
      const fragment = this.#received.subarray(at + 5, at + 5 + header.readUInt16BE(3));
      at += 5 + fragment.length;
      if (header[0] === ContentType.alert) {
        found.push({ level: fragment[0], description: fragment[1], protected: false });
      } else if (header[0] === ContentType.application_data) {
        const inner = openWithAny(epochs, header, fragment);
        if (!inner) throw new Error('a protected record of the client opens with none of its keys');
        if (inner.type === ContentType.alert) {
          found.push({ level: inner.content[0], description: inner.content[1], protected: true });
        }
      }
    }
    return found;
  }
}

/** The per-record nonce: the IV XORed with the sequence number (RFC 8446, Section 5.3). */
function nonceOf(epoch: Epoch): Buffer {
  const nonce = Buffer.from(epoch.keys.iv);
  for (let i = 0, seq = epoch.sequence; i < 8; i++, seq >>= 8n) {
    nonce[IV_LENGTH - 1 - i] ^= Number(seq & 0xffn);
  }
  return nonce;
}

/** Opens with the first epoch that works, dropping those before it (keys only move forward). */
function openWithAny(epochs: Epoch[], header: Buffer, fragment: Buffer):
  { type: number; content: Buffer } | undefined {
  while (epochs.length > 0) {
    const epoch = epochs[0];
    const nonce = nonceOf(epoch);
    const body = fragment.subarray(0, fragment.length - TAG_LENGTH);
    const tag = fragment.subarray(fragment.length - TAG_LENGTH);
    const inner = provider.aead(SUITE.aead, epoch.keys.key).open(nonce, header, [body], tag);
    if (inner) {
      epoch.sequence++;
      let end = inner.length;
      while (end > 0 && inner[end - 1] === 0) end--;
      return { type: inner[end - 1], content: inner.subarray(0, end - 1) };
    }
    epochs.shift();
  }
  return undefined;
}

/**
 * Listens on 127.0.0.1 and runs `script` on the first connection. `done` resolves with the
 * connection once the script has run and the client has gone.
 */
export async function startHostileServer(t: ExecutionContext,
  script: (connection: HostileConnection) => Promise<void> | void):
  Promise<{ port: number; done: Promise<HostileConnection> }> {
  const server = net.createServer();
  const sockets = new Set<net.Socket>();
  t.teardown(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  const done = new Promise<HostileConnection>((resolve, reject) => {
    server.once('connection', (socket: net.Socket) => {
      sockets.add(socket);
      const connection = new HostileConnection(socket);
      Promise.resolve(script(connection))
        .then(() => connection.closed)
        .then(() => resolve(connection), reject);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  return { port: (server.address() as net.AddressInfo).port, done };
}
