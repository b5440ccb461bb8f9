// The connection core: records in, records out, with no I/O, timers or globals. The socket feeds
// it bytes and application data; it answers through an EngineSink. It owns the record layer and
// the handshake driver, sends the one fatal alert a connection may send, and runs the
// post-handshake messages (NewSessionTicket, KeyUpdate) of RFC 8446, Section 4.6.

import type { CryptoProvider } from './crypto/provider';
import { exportKeyingMaterial, nextTrafficSecret, trafficKeys } from './crypto/key-schedule';
import type { Suite } from './crypto/suites';
import { DecodeError, TlsAlertError, TlsError, TlsProtocolError, toTlsError } from './errors';
import type { EstablishedSession, HandshakeDriver, HandshakeIo } from './handshake/session';
import type { HandshakeMessage } from './messages/handshake';
import {
  decodeKeyUpdate,
  decodeNewSessionTicket,
  encodeKeyUpdate,
  type NewSessionTicket,
} from './messages/post-handshake';
import {
  AlertDescription,
  AlertLevel,
  ContentType,
  HandshakeType,
  KeyUpdateRequest,
  alertName,
  nameOf,
} from './protocol/registry';
import { Deframer } from './record/deframer';
import { HandshakeReassembler } from './record/handshake-reassembler';
import { MAX_BUFFERED_WHILE_WAITING, MAX_PLAINTEXT } from './record/limits';
import { RecordOpener } from './record/protection';
import { RecordWriter } from './record/record-writer';
import { ruleFor } from './trace/alert-rules';
import { keylogLine, type KeylogLabel } from './trace/keylog';
import type { Tracer } from './trace/trace';

export interface EngineSink {
  /** Bytes for the transport, as pieces to write in order. */
  send(pieces: Buffer[]): void;
  data(content: Buffer): void;
  secure(session: EstablishedSession): void;
  /** The peer sent close_notify. */
  peerClosed(): void;
  /** A fatal error; the alert, if any, has been sent. */
  fail(error: TlsError): void;
  keylog(line: Buffer): void;
  ticket(ticket: NewSessionTicket): void;
}

type Phase = 'handshake' | 'connected' | 'closed';

export class Engine {
  readonly #provider: CryptoProvider;
  readonly #tracer: Tracer;
  readonly #sink: EngineSink;
  readonly #isClient: boolean;
  #driver: HandshakeDriver | undefined;

  readonly #deframer = new Deframer();
  readonly #reassembler = new HandshakeReassembler();
  #opener: RecordOpener | undefined;
  readonly #writer: RecordWriter;

  #phase: Phase = 'handshake';
  #started = false;
  #waiting = false;
  #failed = false;
  #sentCloseNotify = false;
  #receivedCloseNotify = false;
  #answeredWhileSilent = false;
  #keyUpdateOwed = false;
  #session: EstablishedSession | undefined;
  #readSecret: Buffer | undefined;
  #writeSecret: Buffer | undefined;
  #clientRandom: Buffer | undefined;

  constructor(options: {
    provider: CryptoProvider;
    tracer: Tracer;
    sink: EngineSink;
    client: boolean;
  }) {
    this.#provider = options.provider;
    this.#tracer = options.tracer;
    this.#sink = options.sink;
    this.#isClient = options.client;
    this.#writer = new RecordWriter(
      this.#provider,
      (pieces) => this.#sink.send(pieces),
      options.client,
    );
  }

  /** The interface handed to the handshake driver. */
  get io(): HandshakeIo {
    return {
      provider: this.#provider,
      tracer: this.#tracer,
      sendHandshake: (raw) => this.#writer.queueHandshake(raw),
      sendChangeCipherSpec: () => this.#writer.sendChangeCipherSpec(),
      installReadKeys: (suite, secret, name) => this.#installReadKeys(suite, secret, name),
      installWriteKeys: (suite, secret, name) => this.#installWriteKeys(suite, secret, name),
      keylog: (label, secret) => this.#keylog(label, secret),
      complete: (session) => this.#complete(session),
    };
  }

  get session(): EstablishedSession | undefined {
    return this.#session;
  }

  get connected(): boolean {
    return this.#phase === 'connected';
  }

  get closed(): boolean {
    return this.#phase === 'closed';
  }

  /** Bytes received but not yet processed (records and handshake fragments). */
  get buffered(): number {
    return this.#deframer.buffered + this.#reassembler.buffered;
  }

  /** The client random, which names this connection in key log lines. */
  setClientRandom(random: Buffer): void {
    this.#clientRandom = random;
  }

  start(driver: HandshakeDriver): void {
    this.#driver = driver;
    this.#started = this.#isClient;
    this.#guard(() => {
      driver.start();
      this.#writer.flushHandshake();
    });
  }

  receive(chunk: Buffer): void {
    if (this.#phase === 'closed') return;
    this.#deframer.push(chunk);
    if (this.#waiting && this.#deframer.buffered > MAX_BUFFERED_WHILE_WAITING) {
      const message = `peer sent over ${MAX_BUFFERED_WHILE_WAITING} bytes while the handshake waited for a signer or SNICallback`;
      return this.#fail(new TlsProtocolError('unexpected_message', message));
    }
    this.#guard(() => this.#pump());
  }

  /** Seals application data into records of up to 2^14 bytes, packing small writes together. */
  writeApplicationData(chunks: readonly Buffer[]): void {
    if (!this.#writer.protected || this.#phase !== 'connected' || this.#sentCloseNotify) {
      throw new TlsError('ERR_TLS13_NOT_CONNECTED', 'write on a connection that is not open');
    }
    this.#answeredWhileSilent = false;
    if (this.#keyUpdateOwed) {
      this.#keyUpdateOwed = false;
      this.#sendKeyUpdate(KeyUpdateRequest.update_not_requested);
    }
    this.#writer.writeApplicationData(chunks);
  }

  /** Sends close_notify (RFC 8446, Section 6.1); reading goes on until the peer's. */
  close(): void {
    if (this.#sentCloseNotify || this.#failed) return;
    this.#sentCloseNotify = true;
    this.#tracer.alert('sent', 'close_notify', 'the application ended its side');
    this.#writer.sendAlert(AlertLevel.warning, AlertDescription.close_notify);
  }

  /** Sends KeyUpdate and moves to the next write secret; asks the peer to do likewise. */
  keyUpdate(requestPeer: boolean): void {
    if (this.#phase !== 'connected' || this.#sentCloseNotify) {
      throw new TlsError('ERR_TLS13_NOT_CONNECTED', 'key update on a connection that is not open');
    }
    this.#sendKeyUpdate(
      requestPeer ? KeyUpdateRequest.update_requested : KeyUpdateRequest.update_not_requested,
    );
  }

  exportKeyingMaterial(length: number, label: string, context?: Buffer): Buffer {
    if (!this.#session) throw new TlsError('ERR_TLS13_NOT_CONNECTED', 'handshake not complete');
    return exportKeyingMaterial(
      this.#provider,
      this.#session.suite,
      this.#session.exporterMasterSecret,
      label,
      context,
      length,
    );
  }

  /** Ends the connection with a fatal alert of ours. */
  abort(error: TlsError): void {
    this.#fail(error);
  }

  #guard(body: () => void): void {
    try {
      body();
    } catch (error) {
      this.#fail(toTlsError(error));
    }
  }

  #pump(): void {
    // Whole handshake messages left over from a record are handled before the next record.
    this.#dispatchHandshake();
    while (!this.#waiting && this.#phase !== 'closed') {
      const record = this.#deframer.next();
      if (!record) break;
      this.#receiveRecord(record.type, record.header, record.fragment);
    }
    this.#writer.flushHandshake();
  }

  #receiveRecord(outerType: number, header: Buffer, fragment: Buffer): void {
    if (outerType === ContentType.change_cipher_spec)
      return this.#receiveChangeCipherSpec(fragment);

    let type = outerType;
    let content = fragment;
    if (this.#opener && this.#alertInTheClear(outerType)) {
      return this.#receiveAlert(fragment, 'in the clear, before its handshake keys');
    }
    if (this.#opener) {
      if (outerType !== ContentType.application_data) {
        throw new TlsProtocolError(
          'unexpected_message',
          `peer sent an unprotected ${nameOf(ContentType, outerType)} record after keys were set`,
        );
      }
      ({ type, content } = this.#opener.open(header, fragment));
    } else {
      if (outerType === ContentType.application_data) {
        throw new TlsProtocolError(
          'unexpected_message',
          'peer sent application data before any keys',
        );
      }
      if (fragment.length > MAX_PLAINTEXT) {
        throw new TlsProtocolError(
          'record_overflow',
          `peer sent a plaintext record of ${fragment.length} bytes, over ${MAX_PLAINTEXT}`,
        );
      }
    }

    if (this.#receivedCloseNotify) return; // RFC 8446, Section 6.1: ignore data after closure.
    if (type !== ContentType.handshake && this.#reassembler.buffered > 0) {
      throw new TlsProtocolError(
        'unexpected_message',
        'peer interleaved another record type with a fragmented handshake message',
      );
    }
    switch (type) {
      case ContentType.handshake:
        this.#reassembler.push(content);
        return this.#dispatchHandshake();
      case ContentType.alert:
        return this.#receiveAlert(content);
      case ContentType.application_data:
        return this.#receiveApplicationData(content);
      default:
        throw new TlsProtocolError(
          'unexpected_message',
          `peer sent a protected record of type ${nameOf(ContentType, type)}`,
        );
    }
  }

  // RFC 8446, Appendix A.1: a client may send an alert about our flight in the clear, before it
  // has taken up its handshake keys. Once its Finished has arrived, everything is protected.
  #alertInTheClear(outerType: number): boolean {
    return outerType === ContentType.alert && !this.#isClient && this.#phase === 'handshake';
  }

  // RFC 8446, Section 5: a single 0x01 byte, unprotected, between the first ClientHello and the
  // peer's Finished, is dropped; anything else is unexpected_message.
  #receiveChangeCipherSpec(fragment: Buffer): void {
    const allowed = this.#started && this.#phase === 'handshake';
    if (!allowed || fragment.length !== 1 || fragment[0] !== 1) {
      throw new TlsProtocolError(
        'unexpected_message',
        allowed
          ? 'peer sent a malformed ChangeCipherSpec'
          : 'peer sent ChangeCipherSpec outside the handshake',
      );
    }
  }

  #dispatchHandshake(): void {
    while (!this.#waiting && this.#phase !== 'closed') {
      const message = this.#reassembler.next();
      if (!message) return;
      this.#handleMessage(message);
    }
  }

  #handleMessage(message: HandshakeMessage): void {
    if (this.#phase === 'connected') return this.#receivePostHandshake(message);
    if (!this.#driver) throw new TlsProtocolError('internal_error', 'no handshake driver');
    if (!this.#isClient) this.#started = true;
    const pending = this.#driver.handle(message);
    if (pending) this.#wait(pending);
  }

  // A driver waiting for its signer: hold every later record until it answers.
  #wait(pending: Promise<void>): void {
    this.#waiting = true;
    pending.then(
      () => {
        this.#waiting = false;
        this.#guard(() => this.#pump());
      },
      (error: unknown) => {
        this.#waiting = false;
        this.#fail(toTlsError(error));
      },
    );
  }

  #receivePostHandshake(message: HandshakeMessage): void {
    switch (message.type) {
      case HandshakeType.new_session_ticket:
        return this.#receiveNewSessionTicket(message);
      case HandshakeType.key_update:
        return this.#receiveKeyUpdate(message);
      default:
        throw new TlsProtocolError(
          'unexpected_message',
          `peer sent ${nameOf(HandshakeType, message.type)} after the handshake`,
        );
    }
  }

  // Tickets are kept for resumption, which comes later; receiving one is never an error.
  #receiveNewSessionTicket(message: HandshakeMessage): void {
    if (!this.#isClient) {
      throw new TlsProtocolError('unexpected_message', 'peer sent NewSessionTicket to a server');
    }
    const ticket = decodeNewSessionTicket(message.body);
    this.#tracer.message('received', 'NewSessionTicket', () => ({
      ticket_lifetime: `${ticket.ticketLifetime} s`,
      ticket: `${ticket.ticket.length} bytes`,
    }));
    this.#sink.ticket(ticket);
  }

  #receiveKeyUpdate(message: HandshakeMessage): void {
    const { requestUpdate } = decodeKeyUpdate(message.body);
    if (
      requestUpdate !== KeyUpdateRequest.update_not_requested &&
      requestUpdate !== KeyUpdateRequest.update_requested
    ) {
      throw new TlsProtocolError(
        'illegal_parameter',
        `peer sent KeyUpdate with request_update ${requestUpdate}`,
      );
    }
    this.#tracer.message('received', 'KeyUpdate', () => ({
      request_update: nameOf(KeyUpdateRequest, requestUpdate),
    }));
    const session = this.#established();
    this.#readSecret = nextTrafficSecret(this.#provider, session.suite, this.#readSecret as Buffer);
    this.#installReadKeys(session.suite, this.#readSecret, 'the next application traffic secret');

    // RFC 8446, Section 4.6.3: answer a request before our next application data, unless we
    // have closed our side. The first is answered at once; while we stay silent after that,
    // further requests share one answer, sent before our next data. A peer that floods
    // requests and never reads thus gets one answer, not one each.
    if (requestUpdate !== KeyUpdateRequest.update_requested || this.#sentCloseNotify) return;
    if (this.#answeredWhileSilent) {
      this.#keyUpdateOwed = true;
      return;
    }
    this.#answeredWhileSilent = true;
    this.#sendKeyUpdate(KeyUpdateRequest.update_not_requested);
  }

  #sendKeyUpdate(request: number): void {
    const session = this.#established();
    this.#tracer.message('sent', 'KeyUpdate', () => ({
      request_update: nameOf(KeyUpdateRequest, request),
    }));
    this.#writer.queueHandshake(encodeKeyUpdate({ requestUpdate: request }));
    this.#writeSecret = nextTrafficSecret(
      this.#provider,
      session.suite,
      this.#writeSecret as Buffer,
    );
    this.#installWriteKeys(session.suite, this.#writeSecret, 'the next application traffic secret');
  }

  #established(): EstablishedSession {
    if (!this.#session) throw new TlsProtocolError('internal_error', 'no session');
    return this.#session;
  }

  #receiveAlert(content: Buffer, how?: string): void {
    if (content.length !== 2) {
      throw new DecodeError(`alert of ${content.length} bytes`);
    }
    const description = content[1];
    const name = alertName(description);
    const meaning =
      name === 'close_notify' ? 'the peer ended its side' : 'the peer ends the connection';
    this.#tracer.alert(
      'received',
      name ?? `unknown(${description})`,
      how ? `${meaning} (sent ${how})` : meaning,
    );
    if (name === 'close_notify') {
      this.#receivedCloseNotify = true;
      if (this.#phase === 'handshake') {
        return this.#fail(new TlsAlertError(name, description));
      }
      this.#sink.peerClosed();
      return;
    }
    // RFC 8446, Section 6.1: user_canceled is followed by close_notify and is not fatal.
    if (name === 'user_canceled') return;
    this.#failed = true;
    this.#phase = 'closed';
    this.#sink.fail(new TlsAlertError(name, description));
  }

  #receiveApplicationData(content: Buffer): void {
    if (this.#phase !== 'connected') {
      throw new TlsProtocolError(
        'unexpected_message',
        'peer sent application data before the handshake ended',
      );
    }
    if (content.length > 0) this.#sink.data(content);
  }

  #installReadKeys(suite: Suite, secret: Buffer, name: string): void {
    // RFC 8446, Section 5.1: a handshake message must not span a change of keys.
    if (this.#reassembler.buffered > 0) {
      throw new TlsProtocolError(
        'unexpected_message',
        'peer sent a handshake message that spans a key change',
      );
    }
    this.#opener = new RecordOpener(
      this.#provider,
      suite,
      trafficKeys(this.#provider, suite, secret),
    );
    this.#tracer.keys('read', name);
  }

  #installWriteKeys(suite: Suite, secret: Buffer, name: string): void {
    this.#writer.setKeys(suite, trafficKeys(this.#provider, suite, secret));
    this.#tracer.keys('write', name);
  }

  #keylog(label: KeylogLabel, secret: Buffer): void {
    if (!this.#clientRandom) return;
    this.#sink.keylog(keylogLine(label, this.#clientRandom, secret));
  }

  #complete(session: EstablishedSession): void {
    this.#writer.flushHandshake();
    this.#session = session;
    this.#phase = 'connected';
    if (this.#isClient) {
      this.#readSecret = session.serverApplicationTrafficSecret;
      this.#writeSecret = session.clientApplicationTrafficSecret;
    } else {
      this.#readSecret = session.clientApplicationTrafficSecret;
      this.#writeSecret = session.serverApplicationTrafficSecret;
    }
    this.#sink.secure(session);
  }

  // The one place that sends a fatal alert: at most once, then the connection is over.
  #fail(error: TlsError): void {
    if (this.#failed) return;
    this.#failed = true;
    const alert = error.remote ? undefined : error.alert;
    // A flight cut short by the failure is not sent; only the alert is.
    this.#writer.discardHandshake();
    if (alert && !this.#sentCloseNotify) {
      this.#tracer.alert('sent', alert, error.message, ruleFor(alert));
      try {
        this.#writer.sendAlert(AlertLevel.fatal, AlertDescription[alert]);
      } catch {
        // The alert is a courtesy; the error below is what matters.
      }
    }
    this.#phase = 'closed';
    this.#sink.fail(error);
  }
}
