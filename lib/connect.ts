// connect(): the client entry point, with the option names of tls.connect.

import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type { CryptoProvider } from './crypto/provider';
import { ClientHandshake } from './handshake/client';
import {
  checkVersions,
  initialKeyShareGroups,
  isIpAddress,
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
import { TlsSocket, type PeerCertificate } from './socket';

export interface ConnectOptions extends CommonOptions {
  host?: string;
  port?: number;
  /** Any Duplex to run TLS over, instead of a new TCP connection. */
  socket?: Duplex;
  servername?: string;
  checkServerIdentity?: (hostname: string, cert: PeerCertificate) => Error | undefined;
  timeout?: number;
  allowHalfOpen?: boolean;
  /** Print every message, decision and check to stderr. */
  trace?: boolean;
  /** Append NSS key log lines to this file (mode 0600); it must open at once. */
  keylog?: string;
  /** Send a legacy session id and the dummy ChangeCipherSpec; on by default. */
  middleboxCompatibility?: boolean;
  /** The time at which certificates are checked; now by default. */
  time?: Date;
  provider?: CryptoProvider;
}

/** Opens a TLS 1.3 connection; `callback` is added as a 'secureConnect' listener. */
export function connect(options: ConnectOptions, callback?: () => void): TlsSocket;
export function connect(
  port: number,
  host?: string,
  options?: ConnectOptions,
  callback?: () => void,
): TlsSocket;
export function connect(...args: unknown[]): TlsSocket {
  const { options, callback } = normalizeArgs(args);
  const config = clientConfig(options);
  const keylog = resolveKeylog(options.keylog);
  const host = options.host ?? 'localhost';
  // The TCP socket must stay open for writing after the peer's FIN when the TLS socket does.
  const transport =
    options.socket ??
    net.connect({
      host,
      port: options.port as number,
      allowHalfOpen: options.allowHalfOpen === true,
    });
  const socket = new TlsSocket({
    role: 'client',
    transport,
    allowHalfOpen: options.allowHalfOpen,
    trace: options.trace,
    keylog,
    timeout: options.timeout,
    provider: options.provider,
  });
  if (callback) socket.once('secureConnect', callback);

  const driver = new ClientHandshake(socket.handshakeIo, config);
  socket.setClientRandom(driver.clientRandom);
  // Let the caller attach 'trace' and 'keylog' listeners before the first message goes out.
  process.nextTick(() => {
    if (!socket.destroyed) socket.startHandshake(driver);
  });
  return socket;
}

function normalizeArgs(args: unknown[]): { options: ConnectOptions; callback?: () => void } {
  const callback =
    typeof args[args.length - 1] === 'function' ? (args.pop() as () => void) : undefined;
  if (typeof args[0] === 'object' && args[0] !== null)
    return { options: args[0] as ConnectOptions, callback };
  const [port, host, rest] = args as [number, string | undefined, ConnectOptions | undefined];
  return { options: { ...(rest ?? {}), port, host: host ?? rest?.host }, callback };
}

function clientConfig(options: ConnectOptions): ConstructorParameters<typeof ClientHandshake>[1] {
  checkVersions(options.minVersion, options.maxVersion);
  const host = options.host ?? 'localhost';
  const nameToCheck = options.servername || host;
  // Like node:tls: no server_name for an IP address.
  const servername = options.servername ?? (isIpAddress(host) ? undefined : host);
  const groups = resolveGroups(options.ecdhCurve);
  const [identity] = resolveIdentities(options);
  const custom = options.checkServerIdentity;
  return {
    servername: servername && !isIpAddress(servername) ? servername : undefined,
    verifyName: nameToCheck,
    trusted: resolveTrusted(options.ca),
    rejectUnauthorized: options.rejectUnauthorized !== false,
    checkServerIdentity: custom
      ? (leaf: Certificate) => custom(nameToCheck, leaf.toLegacyObject() as PeerCertificate)
      : undefined,
    alpnProtocols: resolveAlpn(options.ALPNProtocols),
    suites: resolveSuites(options.ciphers),
    groups,
    keyShareGroups: initialKeyShareGroups(groups, options.ecdhCurve),
    schemes: resolveSchemes(options.sigalgs),
    identity,
    middleboxCompatibility: options.middleboxCompatibility !== false,
    time: options.time,
  };
}
