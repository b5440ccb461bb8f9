// createServer(): accepts transports (TCP, or any Duplex through emit('connection')), wraps each
// in a TlsSocket running the server handshake, and reports as tls.Server does.

import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type { CryptoProvider } from './crypto/provider';
import type { LocalIdentity } from './handshake/certificate-auth';
import { ServerHandshake, type ServerHandshakeConfig } from './handshake/server';
import { TlsConfigError, TlsError, TlsProtocolError } from './errors';
import {
  checkVersions,
  resolveAlpn,
  resolveGroups,
  resolveIdentities,
  resolveKeylog,
  resolveSchemes,
  resolveSuites,
  resolveTrusted,
  type CommonOptions,
} from './options';
import type { Certificate } from './pki/certificate';
import { TlsSocket } from './socket';
import type { KeylogFile } from './trace/keylog';
import type { TraceRecord } from './trace/trace';

/** Keys and certificates for one or more identities, as our own context (not Node's). */
export class SecureContext {
  readonly identities: LocalIdentity[];
  readonly trusted: Certificate[] | undefined;

  constructor(options: CommonOptions) {
    this.identities = resolveIdentities(options);
    this.trusted = resolveTrusted(options.ca);
  }
}

export function createSecureContext(options: CommonOptions): SecureContext {
  return new SecureContext(options);
}

export type SniCallback = (
  servername: string,
  callback: (error: Error | null, context?: SecureContext) => void,
) => void;

export interface ServerOptions extends CommonOptions {
  requestCert?: boolean;
  SNICallback?: SniCallback;
  handshakeTimeout?: number;
  /** NewSessionTicket messages sent after each handshake; 0 sends none. */
  ticketCount?: number;
  allowHalfOpen?: boolean;
  trace?: boolean;
  /** Append NSS key log lines to this file (mode 0600); it must open at once. */
  keylog?: string;
  provider?: CryptoProvider;
  time?: Date;
}

const DEFAULT_HANDSHAKE_TIMEOUT = 120_000;

export class Server extends EventEmitter {
  readonly #options: ServerOptions;
  readonly #keylog: KeylogFile | undefined;
  readonly #config: Omit<ServerHandshakeConfig, 'selectIdentities'>;
  readonly #contexts: Array<{ pattern: RegExp; context: SecureContext }> = [];
  readonly #net: net.Server;

  constructor(options: ServerOptions, listener?: (socket: TlsSocket) => void) {
    super();
    this.#options = options;
    checkVersions(options.minVersion, options.maxVersion);
    const context = new SecureContext(options);
    if (context.identities.length === 0 && !options.SNICallback) {
      throw new TlsConfigError(
        'ERR_TLS13_NO_CERTIFICATE',
        'a server needs cert and key (or SNICallback)',
      );
    }
    this.#config = {
      identities: context.identities,
      suites: resolveSuites(options.ciphers),
      groups: resolveGroups(options.ecdhCurve),
      schemes: resolveSchemes(options.sigalgs),
      alpnProtocols: resolveAlpn(options.ALPNProtocols),
      requestCert: options.requestCert === true,
      rejectUnauthorized: options.requestCert === true && options.rejectUnauthorized !== false,
      trusted: context.trusted,
      // Only the names of `ca`, never the whole default store (RFC 8446, Section 4.2.4).
      certificateAuthorities: (context.trusted ?? []).map((c) => c.subject),
      ticketCount: options.ticketCount ?? 2,
      time: options.time,
    };
    this.#keylog = resolveKeylog(options.keylog);
    if (listener) this.on('secureConnection', listener);
    this.#net = net.createServer({ allowHalfOpen: options.allowHalfOpen }, (s) =>
      this.emit('connection', s),
    );
    this.#net.on('listening', () => this.emit('listening'));
    this.#net.on('error', (error) => this.emit('error', error));
    this.#net.on('close', () => this.emit('close'));
    this.on('connection', (transport: Duplex) => this.#accept(transport));
  }

  /** Serves `context` to clients whose server_name matches `hostname` (a "*." prefix allowed). */
  addContext(hostname: string, context: SecureContext | CommonOptions): void {
    const ctx = context instanceof SecureContext ? context : new SecureContext(context);
    const pattern = new RegExp(
      `^${hostname
        .split('.')
        .map((l) => (l === '*' ? '[^.]+' : escape(l)))
        .join('\\.')}$`,
      'i',
    );
    this.#contexts.push({ pattern, context: ctx });
  }

  /** As net.Server's listen: (port, host, callback), (options, callback), ... */
  listen(port?: number, host?: string, callback?: () => void): this;
  listen(port?: number, callback?: () => void): this;
  listen(options: net.ListenOptions, callback?: () => void): this;
  listen(...args: unknown[]): this {
    (this.#net.listen as (...listenArgs: unknown[]) => net.Server)(...args);
    return this;
  }

  close(callback?: (error?: Error) => void): this {
    this.#net.close(callback);
    return this;
  }

  address(): ReturnType<net.Server['address']> {
    return this.#net.address();
  }

  ref(): this {
    this.#net.ref();
    return this;
  }

  unref(): this {
    this.#net.unref();
    return this;
  }

  get listening(): boolean {
    return this.#net.listening;
  }

  #accept(transport: Duplex): void {
    const socket = new TlsSocket({
      role: 'server',
      transport,
      allowHalfOpen: this.#options.allowHalfOpen,
      trace: this.#options.trace,
      keylog: this.#keylog,
      provider: this.#options.provider,
    });
    const driver = new ServerHandshake(socket.handshakeIo, {
      ...this.#config,
      selectIdentities: (name) => this.#selectIdentities(name),
    });
    driver.onClientRandom = (random) => socket.setClientRandom(random);
    socket.on('keylog', (line: Buffer) => this.emit('keylog', line, socket));
    // Records are built only while someone listens; a server without listeners pays nothing.
    if (this.listenerCount('trace') > 0) {
      socket.on('trace', (record: TraceRecord) => this.emit('trace', record, socket));
    }

    const timeout = this.#options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
    const timer =
      timeout > 0
        ? setTimeout(() => {
            socket.abort(
              new TlsError(
                'ERR_TLS13_HANDSHAKE_TIMEOUT',
                `TLS handshake timeout after ${timeout} ms`,
              ),
            );
          }, timeout)
        : undefined;
    timer?.unref();

    const onError = (error: Error): void => {
      clearTimeout(timer);
      this.emit('tlsClientError', error, socket);
    };
    socket.once('error', onError);
    socket.once('close', () => clearTimeout(timer));
    socket.once('secure', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      this.emit('secureConnection', socket);
    });
    socket.startHandshake(driver);
  }

  #selectIdentities(servername: string): LocalIdentity[] | Promise<LocalIdentity[]> | undefined {
    const callback = this.#options.SNICallback;
    if (callback) {
      return new Promise((resolve, reject) => {
        callback(servername, (error, context) => {
          if (error)
            reject(
              new TlsProtocolError(
                'unrecognized_name',
                `SNICallback refused ${servername}: ${error.message}`,
              ),
            );
          else resolve(context?.identities.length ? context.identities : this.#config.identities);
        });
      });
    }
    for (let i = this.#contexts.length - 1; i >= 0; i--) {
      if (this.#contexts[i].pattern.test(servername)) return this.#contexts[i].context.identities;
    }
    return undefined;
  }
}

function escape(label: string): string {
  return label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function createServer(
  options: ServerOptions,
  listener?: (socket: TlsSocket) => void,
): Server {
  return new Server(options, listener);
}
