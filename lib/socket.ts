// TlsSocket: the stream.Duplex users hold. It only does plumbing: bytes between the transport
// and the engine, held writes until the handshake ends, backpressure, events, and the getters
// and socket methods that node:tls users and Node's HTTP stack call.

import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { defaultProvider } from './crypto/node-provider';
import type { CryptoProvider } from './crypto/provider';
import { Engine, type EngineSink } from './engine';
import { TlsAlertError, TlsError } from './errors';
import type { EstablishedSession, HandshakeDriver, HandshakeIo } from './handshake/session';
import type { NewSessionTicket } from './messages/post-handshake';
import type { Certificate } from './pki/certificate';
import type { KeylogFile } from './trace/keylog';
import { Tracer, traceWriter, type Role } from './trace/trace';

export interface SocketOptions {
  role: Role;
  transport: Duplex;
  allowHalfOpen?: boolean;
  trace?: boolean;
  /** Where key log lines are appended, besides the 'keylog' event. */
  keylog?: KeylogFile;
  timeout?: number;
  provider?: CryptoProvider;
}

/**
 * Sealed bytes we let the transport hold before a write waits for 'drain': several full
 * records, so that one writev carries them all.
 */
export const TRANSPORT_HIGH_WATER_MARK = 256 * 1024;

/** Tickets kept per connection for resumption; older ones are dropped. */
export const MAX_KEPT_TICKETS = 8;

type HeldWrite = { chunks: Buffer[]; callback: (error?: Error | null) => void };

/** The Node certificate object, with issuerCertificate links when detailed. */
export type PeerCertificate = Record<string, unknown> & { issuerCertificate?: PeerCertificate };

export class TlsSocket extends Duplex {
  readonly encrypted = true;
  authorized = false;
  authorizationError: string | undefined = undefined;
  alpnProtocol: string | false = false;
  servername: string | false = false;

  readonly #transport: Duplex;
  readonly #engine: Engine;
  readonly #tracer: Tracer;
  readonly #role: Role;
  readonly #keylogFile: KeylogFile | undefined;
  #held: HeldWrite | undefined;
  #heldFinal: ((error?: Error | null) => void) | undefined;
  #transportPaused = false;
  #corked = false;
  #writeCallback: ((error?: Error | null) => void) | undefined;
  #session: EstablishedSession | undefined;
  #timeoutMs = 0;
  #tickets: NewSessionTicket[] = [];

  constructor(options: SocketOptions) {
    super({ allowHalfOpen: options.allowHalfOpen ?? false, emitClose: false, decodeStrings: true });
    this.#transport = options.transport;
    this.#role = options.role;
    this.#keylogFile = options.keylog;
    const print = options.trace === true;
    this.#tracer = new Tracer(options.role, () => print || this.listenerCount('trace') > 0);
    this.#tracer.addListener((record) => this.emit('trace', record));
    if (print) this.#tracer.addListener(traceWriter());
    this.#engine = new Engine({
      provider: options.provider ?? defaultProvider,
      tracer: this.#tracer,
      sink: this.#sink(),
      client: options.role === 'client',
    });
    this.#attachTransport();
    this.#rememberPeer();
    if (options.timeout) this.setTimeout(options.timeout);
  }

  /** The engine's interface for a handshake driver, and the tracer it reports to. */
  get handshakeIo(): HandshakeIo {
    return this.#engine.io;
  }

  /** Starts the handshake with the given driver (the client's sends ClientHello at once). */
  startHandshake(driver: HandshakeDriver, clientRandom?: Buffer): void {
    if (clientRandom) this.#engine.setClientRandom(clientRandom);
    this.#engine.start(driver);
  }

  setClientRandom(random: Buffer): void {
    this.#engine.setClientRandom(random);
  }

  #sink(): EngineSink {
    return {
      send: (pieces) => this.#sendToTransport(pieces),
      data: (content) => {
        this.#touch();
        if (!this.push(content)) this.#pauseTransport();
      },
      secure: (session) => this.#onSecure(session),
      peerClosed: () => this.#onPeerClosed(),
      fail: (error) => {
        // A refusal after we withheld our certificate: say why it was withheld.
        const withheld = this.#session?.clientCertificateWithheld;
        if (withheld && error instanceof TlsAlertError) error.message += `; ${withheld}`;
        this.destroy(error);
      },
      keylog: (line) => this.#onKeylog(line),
      ticket: (ticket) => {
        // Only the newest few are kept: a server may send any number of tickets.
        if (this.#tickets.push(ticket) > MAX_KEPT_TICKETS) this.#tickets.shift();
        this.emit('ticket', ticket);
      },
    };
  }

  #attachTransport(): void {
    const t = this.#transport;
    t.on('data', (chunk: Buffer) => {
      this.#touch();
      this.#engine.receive(chunk);
    });
    t.on('end', () => this.#onTransportEnd());
    t.on('error', (error: Error) => this.destroy(error));
    t.on('close', () => {
      if (this.destroyed) return;
      // A closed transport carries nothing more either way: half-open or not, we are done.
      this.#onTransportEnd();
      if (!this.destroyed) this.#destroyAfterRead();
    });
    t.on('drain', () => {
      const callback = this.#writeCallback;
      this.#writeCallback = undefined;
      callback?.();
    });
    t.on('connect', () => {
      this.#rememberPeer();
      this.emit('connect');
    });
  }

  // Records written in one tick leave in one writev: the transport is corked at the first
  // piece and uncorked once, on the next tick (../shared/PERFORMANCE.md, habit 2).
  #sendToTransport(pieces: Buffer[]): boolean {
    const t = this.#transport;
    if (t.destroyed || t.writableEnded) return false;
    if (!this.#corked) {
      this.#corked = true;
      t.cork();
      process.nextTick(this.#uncork);
    }
    let ok = true;
    for (const piece of pieces) ok = t.write(piece);
    return ok;
  }

  readonly #uncork = (): void => {
    if (!this.#corked) return;
    this.#corked = false;
    this.#transport.uncork();
  };

  #onSecure(session: EstablishedSession): void {
    this.#session = session;
    this.authorized = session.authorized;
    this.authorizationError = session.authorizationError;
    this.alpnProtocol = session.alpnProtocol;
    this.servername = session.servername;
    this.emit(this.#role === 'client' ? 'secureConnect' : 'secure');
    this.#releaseHeld();
  }

  // Writes made before the handshake ended go out now, in order, then any pending end().
  #releaseHeld(): void {
    const held = this.#held;
    this.#held = undefined;
    if (held) this.#writeNow(held.chunks, held.callback);
    const final = this.#heldFinal;
    this.#heldFinal = undefined;
    if (final) this._final(final);
  }

  #onPeerClosed(): void {
    this.#pushEnd();
    // As net.Socket does on FIN: end our side too unless allowHalfOpen.
    if (!this.allowHalfOpen) this.end();
  }

  #onTransportEnd(): void {
    if (this.destroyed) return;
    if (!this.#engine.connected && !this.#engine.closed) {
      const error = new TlsError(
        'ECONNRESET',
        'peer closed the connection before the TLS handshake completed',
      );
      this.destroy(error);
      return;
    }
    // A transport that ends without close_notify: the data so far is all there is.
    this.#pushEnd();
    if (!this.allowHalfOpen || this.#engine.closed) this.#destroyAfterRead();
  }

  // The end of the readable side. As net.Socket does, read(0) lets 'end' come even when the
  // application never reads, as long as no data is left unread.
  #pushEnd(): void {
    this.push(null);
    this.read(0);
  }

  // Data already pushed stays readable: the socket goes once the application has read it all.
  #destroyAfterRead(): void {
    if (this.readableEnded) this.destroy();
    else this.once('end', () => this.destroy());
  }

  #onKeylog(line: Buffer): void {
    this.emit('keylog', line);
    this.#keylogFile?.append(line);
  }

  #pauseTransport(): void {
    if (this.#transportPaused) return;
    this.#transportPaused = true;
    this.#transport.pause();
  }

  override _read(): void {
    if (!this.#transportPaused) return;
    this.#transportPaused = false;
    this.#transport.resume();
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    this._writev([{ chunk }], callback);
  }

  override _writev(
    chunks: Array<{ chunk: Buffer }>,
    callback: (error?: Error | null) => void,
  ): void {
    // Writing is activity for setTimeout, as it is on net.Socket.
    this.#touch();
    const buffers = chunks.map((c) => c.chunk);
    if (!this.#engine.connected) {
      if (this.#engine.closed)
        return callback(
          new TlsError('ERR_TLS13_NOT_CONNECTED', 'write after the connection closed'),
        );
      // Held until the handshake ends; the stream sends nothing more until we call back.
      this.#held = { chunks: buffers, callback };
      return;
    }
    this.#writeNow(buffers, callback);
  }

  #writeNow(chunks: Buffer[], callback: (error?: Error | null) => void): void {
    // Sealing would advance the write sequence for records that can never be sent; say so
    // rather than report the data as written.
    if (this.#transport.destroyed || this.#transport.writableEnded) {
      callback(new TlsError('EPIPE', 'write after the transport was closed for writing'));
      return;
    }
    try {
      this.#engine.writeApplicationData(chunks);
      // Records wait, corked, for the next tick so that they leave together; judged by the
      // transport's own 16 KiB mark, every full record would then wait for 'drain' alone.
      const t = this.#transport;
      // 'drain' comes only to a transport past its own mark, so never wait without one.
      const ok = t.writableLength < TRANSPORT_HIGH_WATER_MARK || !t.writableNeedDrain;
      if (ok) callback();
      else this.#writeCallback = callback;
    } catch (error) {
      callback(error as Error);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#engine.connected && !this.#engine.closed) {
      this.#heldFinal = callback;
      return;
    }
    this.#engine.close();
    this.#transport.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#clearTimer();
    if (!this.#engine.closed && !error && this.#engine.connected) this.#engine.close();
    const held = this.#held;
    this.#held = undefined;
    held?.callback(
      error ??
        new TlsError('ERR_TLS13_NOT_CONNECTED', 'socket destroyed before the handshake ended'),
    );
    // Records written in this tick (a fatal alert, close_notify) may still sit behind a cork
    // that would lift on the next tick; send them before the transport goes.
    while (this.#transport.writableCorked > 0) this.#transport.uncork();
    this.#transport.destroy();
    callback(error);
    // node:net emits close(hadError) after error; do the same once the error event has gone out.
    process.nextTick(() => this.emit('close', Boolean(error)));
  }

  /** Ends the connection with a fatal alert, as when a check outside the engine fails. */
  abort(error: TlsError): void {
    this.#engine.abort(error);
  }

  // ---- node:tls surface ----

  getProtocol(): string | null {
    return this.#session ? 'TLSv1.3' : null;
  }

  getCipher(): { name: string; standardName: string; version: string } | undefined {
    const suite = this.#session?.suite;
    if (!suite) return undefined;
    return { name: suite.opensslName, standardName: suite.standardName, version: 'TLSv1.3' };
  }

  getEphemeralKeyInfo(): { type: string; name: string } | undefined {
    return this.#session ? { type: 'ECDH', name: this.#session.group } : undefined;
  }

  getPeerCertificate(detailed = false): PeerCertificate {
    const chain = this.#session?.verifiedChain ?? this.#session?.peerChain ?? [];
    return legacyChain(chain, detailed);
  }

  getCertificate(): PeerCertificate {
    return {};
  }

  getPeerX509Certificate(): import('node:crypto').X509Certificate | undefined {
    return this.#session?.peerChain[0]?.x509;
  }

  getSession(): undefined {
    return undefined;
  }

  isSessionReused(): boolean {
    return false;
  }

  /** Tickets received, kept for resumption (not yet supported). */
  get tickets(): readonly NewSessionTicket[] {
    return this.#tickets;
  }

  /** The scheme our CertificateVerify used and the peer's, for the curious. */
  get signatureSchemes(): { local: string | undefined; peer: string | undefined } {
    return { local: this.#session?.signatureScheme, peer: this.#session?.peerSignatureScheme };
  }

  exportKeyingMaterial(length: number, label: string, context?: Buffer): Buffer {
    return this.#engine.exportKeyingMaterial(length, label, context);
  }

  /** Sends KeyUpdate; with `requestPeer`, asks the peer to update its keys too. */
  updateKeys(requestPeer = false): void {
    this.#engine.keyUpdate(requestPeer);
  }

  // ---- net.Socket surface, forwarded to the transport where it has one ----

  /** As on net.Socket: true while the transport is still connecting. */
  get connecting(): boolean {
    return (this.#transport as Partial<Socket>).connecting ?? false;
  }

  // The peer's address stays known after the transport has gone, for logs of a failure.
  get remoteAddress(): string | undefined {
    return this.#rememberPeer().remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#rememberPeer().remotePort;
  }

  get remoteFamily(): string | undefined {
    return this.#rememberPeer().remoteFamily;
  }

  #peer: Pick<Socket, 'remoteAddress' | 'remotePort' | 'remoteFamily'> | undefined;

  #rememberPeer(): Partial<Socket> {
    const t = this.#transport as Partial<Socket>;
    if (!this.#peer && t.remoteAddress !== undefined) {
      this.#peer = {
        remoteAddress: t.remoteAddress,
        remotePort: t.remotePort,
        remoteFamily: t.remoteFamily,
      };
    }
    return this.#peer ?? t;
  }

  get localAddress(): string | undefined {
    return (this.#transport as Partial<Socket>).localAddress;
  }

  get localPort(): number | undefined {
    return (this.#transport as Partial<Socket>).localPort;
  }

  get bufferSize(): number {
    return this.writableLength;
  }

  address(): ReturnType<Socket['address']> | {} {
    return (this.#transport as Partial<Socket>).address?.() ?? {};
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    (this.#transport as Partial<Socket>).setKeepAlive?.(enable, initialDelay);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    (this.#transport as Partial<Socket>).setNoDelay?.(noDelay);
    return this;
  }

  ref(): this {
    (this.#transport as Partial<Socket>).ref?.();
    return this;
  }

  unref(): this {
    (this.#transport as Partial<Socket>).unref?.();
    return this;
  }

  #timer: NodeJS.Timeout | undefined;

  /** Emits 'timeout' after `ms` of inactivity, as net.Socket does; 0 turns it off. */
  setTimeout(ms: number, callback?: () => void): this {
    this.#timeoutMs = ms;
    if (callback) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this.#touch();
    return this;
  }

  get timeout(): number | undefined {
    return this.#timeoutMs || undefined;
  }

  #touch(): void {
    this.#clearTimer();
    if (this.#timeoutMs > 0 && !this.destroyed) {
      this.#timer = setTimeout(() => this.emit('timeout'), this.#timeoutMs);
      this.#timer.unref?.();
    }
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function legacyChain(chain: readonly Certificate[], detailed: boolean): PeerCertificate {
  if (chain.length === 0) return {};
  const objects = chain.map((c) => c.toLegacyObject() as PeerCertificate);
  if (!detailed) return objects[0];
  for (let i = 0; i < objects.length; i++) {
    // The anchor points at itself, as node:tls's detailed chain does.
    objects[i].issuerCertificate = objects[i + 1] ?? objects[i];
  }
  return objects[0];
}
