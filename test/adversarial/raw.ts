// Raw-byte helpers for the adversarial server tests: a ClientHello our server accepts, records
// around any bytes, a loopback exchange that reports what came back and whether and when the
// server closed, a seeded generator, and the alerts found in a plaintext reply.

import { generateKeyPairSync } from 'node:crypto';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ExecutionContext } from 'ava';
import { createServer, type Server, type ServerOptions } from '../../lib/index';
import * as ext from '../../lib/messages/extensions';
import { encodeClientHello } from '../../lib/messages/hello';
import {
  CipherSuite, ContentType, ExtensionType as E, NamedGroup, ProtocolVersion, SignatureScheme,
} from '../../lib/protocol/registry';
import { demo } from '../helpers/pki';

export const LOOPBACK = '127.0.0.1';

/** A small deterministic generator (mulberry32). */
export function seeded(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

const X25519_PUBLIC = generateKeyPairSync('x25519').publicKey
  .export({ format: 'der', type: 'spki' }).subarray(-32);

export interface HelloOptions {
  random?: Buffer;
  groups?: number[];
  shares?: Array<{ group: number; keyExchange: Buffer }>;
  sessionId?: Buffer;
}

/** A ClientHello handshake message (header included) that our server accepts as it is. */
export function clientHello(options: HelloOptions = {}): Buffer {
  return encodeClientHello({
    legacyVersion: ProtocolVersion.TLS1_2,
    random: options.random ?? Buffer.alloc(32, 0x11),
    legacySessionId: options.sessionId ?? Buffer.alloc(32, 0x22),
    cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384],
    legacyCompressionMethods: Buffer.of(0),
    extensions: [
      { type: E.server_name, data: ext.serverNameList.encode('localhost') },
      { type: E.supported_groups,
        data: ext.namedGroupList.encode(options.groups ?? [NamedGroup.x25519, NamedGroup.secp256r1]) },
      { type: E.signature_algorithms, data: ext.signatureSchemeList.encode([
        SignatureScheme.ecdsa_secp256r1_sha256, SignatureScheme.rsa_pss_rsae_sha256]) },
      { type: E.key_share, data: ext.keyShareClientHello.encode(
        options.shares ?? [{ group: NamedGroup.x25519, keyExchange: X25519_PUBLIC }]) },
      { type: E.supported_versions, data: ext.supportedVersionsList.encode([ProtocolVersion.TLS1_3]) },
      { type: E.psk_key_exchange_modes, data: ext.pskKeyExchangeModes.encode([1]) },
    ],
  });
}

export function record(type: number, content: Buffer, version = 0x0303): Buffer {
  const header = Buffer.of(type, version >> 8, version & 0xff, 0, 0);
  header.writeUInt16BE(content.length & 0xffff, 3);
  return Buffer.concat([header, content]);
}

export const handshake = (message: Buffer): Buffer => record(ContentType.handshake, message);

export interface Reply {
  data: Buffer;
  /** The server closed the connection (end or reset) before our deadline. */
  closed: boolean;
  ms: number;
}

/**
 * Connects to 127.0.0.1:port, writes each chunk in turn (`gapMs` apart), and gathers what comes
 * back until the server closes or `deadlineMs` passes (then we close, and `closed` is false).
 */
export function exchange(port: number, chunks: Buffer[],
  options: { deadlineMs?: number; gapMs?: number; until?: (data: Buffer) => boolean } = {}):
  Promise<Reply> {
  const deadline = options.deadlineMs ?? 3000;
  return new Promise((resolve) => {
    const start = Date.now();
    const socket = net.connect({ host: LOOPBACK, port });
    const received: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(received), closed, ms: Date.now() - start });
    };
    const timer = setTimeout(() => finish(false), deadline);
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (options.until?.(Buffer.concat(received))) finish(true);
    });
    socket.on('error', () => finish(true));
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (done || socket.destroyed) return;
        socket.write(chunk);
        if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
      }
    });
  });
}

/** The plaintext records of `bytes`, in order. */
export function records(bytes: Buffer): Array<{ type: number; fragment: Buffer }> {
  const out: Array<{ type: number; fragment: Buffer }> = [];
  for (let at = 0; at + 5 <= bytes.length;) {
    const length = bytes.readUInt16BE(at + 3);
    if (at + 5 + length > bytes.length) break;
    out.push({ type: bytes[at], fragment: bytes.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

/** Descriptions of the plaintext alerts in `bytes`. */
export function plaintextAlerts(bytes: Buffer): number[] {
  return records(bytes).filter((r) => r.type === ContentType.alert && r.fragment.length === 2)
    .map((r) => r.fragment[1]);
}

export interface RunningServer {
  server: Server;
  port: number;
  errors: Array<Error & { code?: string }>;
  /** Transports the server has accepted and not yet closed. */
  open(): number;
}

/** Our server with the demo identity on 127.0.0.1, closed with its sockets when the test ends. */
export async function startServer(t: ExecutionContext, options: Partial<ServerOptions> = {}):
  Promise<RunningServer> {
  const server = createServer({
    cert: demo('server.pem'), key: demo('server-key.pem'), ca: demo('ca.pem'), requestCert: true,
    handshakeTimeout: 1500, ...options,
  });
  const errors: Array<Error & { code?: string }> = [];
  const transports = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    transports.add(socket);
    socket.once('close', () => transports.delete(socket));
  });
  server.on('tlsClientError', (error: Error) => errors.push(error));
  server.on('secureConnection', (socket) => socket.on('error', () => undefined));
  await new Promise<void>((resolve) => {
    server.once('listening', resolve);
    server.listen({ port: 0, host: LOOPBACK });
  });
  t.teardown(() => new Promise<void>((resolve) => {
    for (const s of transports) s.destroy();
    server.close(() => resolve());
  }));
  return {
    server, port: (server.address() as AddressInfo).port, errors, open: () => transports.size,
  };
}
