// The two stacks behind one face: how each opens a client connection and starts a server,
// given the same options. Options are passed per connection, as most callers write them.

import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { connect, createServer, type ConnectOptions } from '../lib';
import type { CertPaths } from './certs';
import { CIPHER_SUITE, KEY_EXCHANGE, SERVER_NAME } from './protocol';

export type StackName = 'ours' | 'node';

export interface Pems {
  ca: Buffer;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCert: Buffer;
  clientKey: Buffer;
}

export function readPems(paths: CertPaths): Pems {
  return {
    ca: readFileSync(paths.ca),
    serverCert: readFileSync(paths.serverCert),
    serverKey: readFileSync(paths.serverKey),
    clientCert: readFileSync(paths.clientCert),
    clientKey: readFileSync(paths.clientKey),
  };
}

export interface ClientSetup {
  port: number;
  withCert: boolean;
  /** node:tls only: build one SecureContext up front instead of one per connection. */
  sharedContext?: boolean;
}

export function clientOptions(pems: Pems, withCert: boolean): tls.ConnectionOptions {
  return {
    host: '127.0.0.1',
    servername: SERVER_NAME,
    ca: pems.ca,
    ...(withCert ? { cert: pems.clientCert, key: pems.clientKey } : {}),
    ciphers: CIPHER_SUITE,
    ecdhCurve: KEY_EXCHANGE,
    minVersion: 'TLSv1.3',
  };
}

/** Returns a function that opens one connection with the given stack. */
export function clientConnector(stack: StackName, pems: Pems, setup: ClientSetup): () => Duplex {
  const options = { ...clientOptions(pems, setup.withCert), port: setup.port };
  if (stack === 'ours') {
    const { host, port, servername, ca, cert, key, ciphers, ecdhCurve, minVersion } = options;
    const ourOptions: ConnectOptions = {
      host, port, servername, ca, cert, key, ciphers, ecdhCurve, minVersion,
    } as ConnectOptions;
    return () => connect(ourOptions);
  }
  if (setup.sharedContext) {
    const secureContext = tls.createSecureContext(options);
    return () => tls.connect({ ...options, secureContext });
  }
  return () => tls.connect(options);
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

export interface ServerSetup {
  requestCert: boolean;
  /** Called with each socket once its handshake is done, and whether its peer is trusted. */
  onSecure(socket: Duplex, authorized: boolean): void;
}

export function startServer(stack: StackName, pems: Pems,
  setup: ServerSetup): Promise<RunningServer> {
  const options = {
    cert: pems.serverCert,
    key: pems.serverKey,
    ca: pems.ca,
    requestCert: setup.requestCert,
    rejectUnauthorized: setup.requestCert,
    ciphers: CIPHER_SUITE,
    ecdhCurve: KEY_EXCHANGE,
    minVersion: 'TLSv1.3' as const,
  };
  const server = stack === 'ours'
    ? createServer(options, (socket) => setup.onSecure(socket, true))
    : tls.createServer(options, (socket) => {
      setup.onSecure(socket, !setup.requestCert || socket.authorized);
    });
  // A client that gives up mid-handshake is the client's failure, reported there.
  server.on('tlsClientError', () => undefined);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = server.address() as AddressInfo;
      resolve({ port, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}
