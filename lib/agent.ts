// An https.Agent whose connections are tls13 sockets: keep-alive, pooling and the rest of HTTP
// stay Node's, only the TLS underneath changes.

import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import { connect, type ConnectOptions } from './connect';

export class Tls13Agent extends https.Agent {
  readonly #tls: ConnectOptions;

  /**
   * `tls` applies to every connection (trust, identity, trace); the host and port come from
   * each request unless `tls` names them. `options` are https.Agent's, with keepAlive true
   * unless they say otherwise.
   */
  constructor(tls: ConnectOptions = {}, options: https.AgentOptions = {}) {
    super({ keepAlive: true, ...options });
    this.#tls = tls;
  }

  override createConnection(options: {
    host?: string;
    port?: number | string;
    servername?: string;
  }): Duplex {
    // A URL's IPv6 host comes bracketed ([::1]); the socket wants the bare address.
    const host = this.#tls.host ?? String(options.host ?? 'localhost').replace(/^\[|\]$/g, '');
    return connect({
      ...this.#tls,
      host,
      port: this.#tls.port ?? Number(options.port ?? 443),
      servername: this.#tls.servername ?? (options.servername || undefined),
    });
  }
}
