#!/usr/bin/env node
// A test server in the spirit of `openssl s_server -www`: every HTTP request gets a plain-text
// page that describes the TLS session and the client certificate the server saw, or why none
// was accepted. With --trace, each connection's messages, decisions and checks go to stderr,
// so a person writing a client can see where certificate authentication went wrong.
//
//   tls13-server [--port N] [--host H] [--cert F --key F] [--ca F]
//                [--request-cert | --require-cert] [--alpn P,Q] [--keylog F] [--trace]
//
// Honours SSLKEYLOGFILE, as curl and browsers do. Stops cleanly on SIGINT.

import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createServer,
  renderTrace,
  type Server,
  type TlsSocket,
  type TraceRecord,
} from '../lib/index';
import { certPath } from './project-root';

export interface ServerProgramOptions {
  port?: number;
  host?: string;
  /** File names; the demo PKI of certs/ by default. */
  cert?: string;
  key?: string;
  ca?: string;
  /** Ask for a client certificate but go on without a valid one. */
  requestCert?: boolean;
  /** Ask for a client certificate and refuse the handshake without a valid one. */
  requireCert?: boolean;
  alpn?: string[];
  keylog?: string;
  trace?: boolean;
  /** Where trace lines go; stderr by default. */
  traceOutput?: NodeJS.WritableStream;
}

export interface RunningServer {
  tls: Server;
  http: http.Server;
  host: string;
  port: number;
  /** What client certificates are checked against, when the server asks for them. */
  clientTrust: string | undefined;
  close(): Promise<void>;
}

const DEFAULT_HOST = '127.0.0.1';

/** Starts the TLS listener and the HTTP server behind it; resolves once listening. */
export function startServer(options: ServerProgramOptions = {}): Promise<RunningServer> {
  const asks = options.requestCert === true || options.requireCert === true;
  const { ca, clientTrust } = clientTrustOf(options, asks);
  const tls = createServer({
    cert: readFileSync(options.cert ?? certPath('server.pem')),
    key: readFileSync(options.key ?? certPath('server-key.pem')),
    ca: ca === undefined ? undefined : readFileSync(ca),
    requestCert: asks,
    rejectUnauthorized: options.requireCert === true,
    ALPNProtocols: options.alpn,
    keylog: options.keylog,
  });
  const web = http.createServer((request, response) => {
    response.setHeader('content-type', 'text/plain; charset=utf-8');
    response.setHeader('connection', 'close');
    response.end(describeConnection(request.socket as unknown as TlsSocket, numbers));
  });

  const numbers = new WeakMap<object, number>();
  const open = new Set<TlsSocket>();
  let next = 1;
  const out = options.traceOutput ?? process.stderr;
  // Lines of one connection carry its number, given when it first shows up.
  const say = (socket: TlsSocket, text: string): void => {
    if (!options.trace) return;
    let n = numbers.get(socket);
    if (n === undefined) {
      n = next++;
      numbers.set(socket, n);
      out.write(`[#${n}] connection from ${peerAddress(socket)}\n`);
      socket.once('close', () => say(socket, 'closed'));
    }
    const prefix = `[#${n}] `;
    out.write(
      `${text
        .split('\n')
        .map((line) => prefix + line)
        .join('\n')}\n`,
    );
  };

  tls.on('trace', (record: TraceRecord, socket: TlsSocket) => say(socket, renderTrace(record)));
  tls.on('tlsClientError', (error: Error & { code?: string }, socket: TlsSocket) => {
    say(socket, `handshake refused: ${error.code ?? 'error'}: ${error.message}`);
  });
  tls.on('secureConnection', (socket: TlsSocket) => {
    open.add(socket);
    say(socket, `secure: ${sessionLine(socket)}; client certificate: ${certificateLine(socket)}`);
    socket.on('error', (error: Error & { code?: string }) => {
      say(socket, `connection error: ${error.code ?? 'error'}: ${error.message}`);
    });
    socket.on('close', () => open.delete(socket));
    web.emit('connection', socket);
  });

  const host = options.host ?? DEFAULT_HOST;
  return new Promise((resolve, reject) => {
    tls.once('error', reject);
    tls.once('listening', () => {
      tls.removeListener('error', reject);
      const { port } = tls.address() as AddressInfo;
      resolve({
        tls,
        http: web,
        host,
        port,
        clientTrust,
        close: () =>
          new Promise<void>((done) => {
            tls.close(() => done());
            web.close();
            for (const socket of open) socket.destroy();
          }),
      });
    });
    tls.listen({ port: options.port ?? 0, host });
  });
}

// The demo identity goes with the demo CA; any other identity checks client certificates
// against --ca, or else against Node's default store, which the command then names.
function clientTrustOf(
  options: ServerProgramOptions,
  asks: boolean,
): { ca: string | undefined; clientTrust: string | undefined } {
  if (!asks) return { ca: options.ca, clientTrust: undefined };
  if (options.ca !== undefined) return { ca: options.ca, clientTrust: `the CA file ${options.ca}` };
  if (options.cert === undefined && options.key === undefined) {
    const demoCa = certPath('ca.pem');
    return { ca: demoCa, clientTrust: `the demo CA (${demoCa})` };
  }
  const store = "Node's default trust store (tls.rootCertificates and NODE_EXTRA_CA_CERTS)";
  return { ca: undefined, clientTrust: `${store}, as no --ca was given` };
}

/** The page each request gets. */
export function describeConnection(socket: TlsSocket, numbers?: WeakMap<object, number>): string {
  const n = numbers?.get(socket);
  const lines = [
    'tls13 test server',
    '',
    `connection ${n === undefined ? '' : `#${n} `}from ${peerAddress(socket)}`,
    '',
    'TLS session',
    `  protocol:   ${socket.getProtocol() ?? '(none)'}`,
    `  cipher:     ${socket.getCipher()?.standardName ?? '(none)'}`,
    `  group:      ${socket.getEphemeralKeyInfo()?.name ?? '(none)'}`,
    `  ALPN:       ${socket.alpnProtocol || '(none)'}`,
    `  SNI:        ${socket.servername || '(none)'}`,
    `  signatures: server ${socket.signatureSchemes.local ?? '(none)'}, ` +
      `client ${socket.signatureSchemes.peer ?? '(none)'}`,
    '',
    'Client certificate',
    ...certificateLines(socket).map((line) => `  ${line}`),
    '',
  ];
  return lines.join('\n');
}

type LegacyCertificate = {
  subject?: Record<string, string | string[]>;
  issuer?: Record<string, string | string[]>;
  valid_from?: string;
  valid_to?: string;
  fingerprint256?: string;
  serialNumber?: string;
};

function certificateLines(socket: TlsSocket): string[] {
  const peer = socket.getPeerCertificate() as LegacyCertificate;
  if (!peer.subject) {
    const error = socket.authorizationError;
    const why = error ? ` (authorizationError: ${error})` : '';
    return [`none: the client sent no certificate${why}`];
  }
  return [
    `subject:     ${nameText(peer.subject)}`,
    `issuer:      ${nameText(peer.issuer)}`,
    `valid from:  ${peer.valid_from}`,
    `valid to:    ${peer.valid_to}`,
    `serial:      ${peer.serialNumber}`,
    `SHA-256:     ${peer.fingerprint256}`,
    socket.authorized
      ? 'accepted:    yes, the chain verifies against our CA'
      : `accepted:    no (authorizationError: ${socket.authorizationError})`,
  ];
}

function certificateLine(socket: TlsSocket): string {
  const peer = socket.getPeerCertificate() as LegacyCertificate;
  const error = socket.authorizationError;
  if (!peer.subject) return `none${error ? ` (${error})` : ''}`;
  const verdict = socket.authorized ? 'authorized' : `not authorized (${error})`;
  return `${nameText(peer.subject)}, ${verdict}`;
}

function sessionLine(socket: TlsSocket): string {
  return [
    socket.getProtocol(),
    socket.getCipher()?.standardName,
    socket.getEphemeralKeyInfo()?.name,
    `ALPN ${socket.alpnProtocol || '(none)'}`,
    `SNI ${socket.servername || '(none)'}`,
  ].join(', ');
}

function nameText(name: Record<string, string | string[]> | undefined): string {
  if (!name) return '(none)';
  return Object.entries(name)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
    .join(', ');
}

function peerAddress(socket: TlsSocket): string {
  const address = socket.remoteAddress ?? '(unknown)';
  const shown = address.includes(':') ? `[${address}]` : address;
  return socket.remotePort === undefined ? shown : `${shown}:${socket.remotePort}`;
}

const USAGE =
  'usage: tls13-server [--port N] [--host H] [--cert F --key F] [--ca F]\n' +
  '                    [--request-cert | --require-cert] [--alpn P,Q] [--keylog F] [--trace]';

/**
 * Reads the command line: the options, or 'help' for --help. Throws with a one-line message on
 * anything it does not know or cannot serve.
 */
export function parseArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = {},
): ServerProgramOptions | 'help' {
  const options: ServerProgramOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          throw new Error('--port takes 0 to 65535');
        }
        options.port = port;
        break;
      }
      case '--host':
        options.host = value();
        break;
      case '--cert':
        options.cert = value();
        break;
      case '--key':
        options.key = value();
        break;
      case '--ca':
        options.ca = value();
        break;
      case '--request-cert':
        options.requestCert = true;
        break;
      case '--require-cert':
        options.requireCert = true;
        break;
      case '--alpn':
        options.alpn = alpnList(value());
        break;
      case '--keylog':
        options.keylog = value();
        break;
      case '--trace':
        options.trace = true;
        break;
      case '--help':
      case '-h':
        return 'help';
      default:
        throw new Error(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new Error('--cert and --key go together');
  }
  options.keylog ??= env.SSLKEYLOGFILE || undefined;
  return options;
}

// The page is HTTP/1.1: a client that agreed on h2 would send frames the handler cannot read.
function alpnList(text: string): string[] {
  const names = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (names.includes('h2')) {
    throw new Error('--alpn: h2 cannot be offered, this server answers HTTP/1.1 only');
  }
  return names;
}

async function main(): Promise<void> {
  let options: ServerProgramOptions | 'help';
  try {
    options = parseArgs(process.argv.slice(2), process.env);
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  const running = await startServer(options);
  // Before anything is printed: whoever reads "listening" may send SIGINT at once.
  process.once('SIGINT', () => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  if (running.clientTrust) {
    console.error(`client certificates are checked against ${running.clientTrust}`);
  }
  const shown = running.host.includes(':') ? `[${running.host}]` : running.host;
  const mode = options.requireCert
    ? ', requiring a client certificate'
    : options.requestCert
      ? ', asking for a client certificate'
      : '';
  console.log(`tls13-server listening on https://${shown}:${running.port}/${mode}`);
}

if (require.main === module) {
  main().catch((error: Error & { code?: string }) => {
    console.error(`error: ${error.message}${error.code ? ` (${error.code})` : ''}`);
    process.exitCode = 1;
  });
}
