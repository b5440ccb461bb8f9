// Shared pieces of the server tests: the demo PKI of certs/, our server on 127.0.0.1 with an
// ephemeral port and every record, error and connection it reports, and peer processes
// (openssl, gnutls-cli, curl) whose output the tests wait for and whose exit they await.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { ExecutionContext } from 'ava';
import {
  createServer, type Server, type ServerOptions, type TlsSocket, type TraceRecord,
} from '../../lib/index';

export const LOOPBACK = '127.0.0.1';

/** A file of the demo PKI, by its name in certs/. */
export function certFile(name: string): string {
  return path.resolve(__dirname, '..', '..', 'certs', name);
}

export function readCert(name: string): Buffer {
  return readFileSync(certFile(name));
}

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

export interface TestServer {
  server: Server;
  port: number;
  /** Every trace record of every connection, in order. */
  records: TraceRecord[];
  clientErrors: Array<Error & { code?: string }>;
  /** Resolves with the next connection whose handshake completes. */
  nextSecure(): Promise<TlsSocket>;
  /** Resolves with the next handshake refusal. */
  nextClientError(): Promise<Error & { code?: string }>;
}

/**
 * Our server with the demo identity, echoing "echo:" + data on each connection; closed, with
 * its connections, when the test ends.
 */
export async function startTestServer(t: ExecutionContext, options: Partial<ServerOptions> = {}):
  Promise<TestServer> {
  const server = createServer({
    cert: readCert('server.pem'), key: readCert('server-key.pem'), ...options,
  });
  const records: TraceRecord[] = [];
  const clientErrors: Array<Error & { code?: string }> = [];
  const sockets = new Set<TlsSocket>();
  server.on('trace', (record: TraceRecord) => records.push(record));
  server.on('tlsClientError', (error: Error, socket: TlsSocket) => {
    clientErrors.push(error);
    socket.destroy();
  });
  server.on('secureConnection', (socket: TlsSocket) => {
    sockets.add(socket);
    socket.on('data', (data: Buffer) => socket.write(`echo:${data.toString('latin1')}`));
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => {
    server.once('listening', resolve);
    server.listen({ port: 0, host: LOOPBACK });
  });
  t.teardown(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  return {
    server, port: (server.address() as AddressInfo).port, records, clientErrors,
    nextSecure: () => new Promise((resolve) => server.once('secureConnection', resolve)),
    nextClientError: () => new Promise((resolve) => server.once('tlsClientError', resolve)),
  };
}

/** The records of messages with this name and direction. */
export function messages(records: readonly TraceRecord[], direction: 'sent' | 'received',
  name: string): Array<Record<string, unknown>> {
  return records.flatMap((r) =>
    r.kind === 'message' && r.direction === direction && r.message === name ? [r.fields] : []);
}

/** Polls `condition` until it holds; fails after `ms`. */
export async function until(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A peer program with its stdout and stderr gathered; killed when the test ends. */
export class Peer {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  #output = '';
  #waiters: Array<() => void> = [];

  constructor(t: ExecutionContext, command: string, args: readonly string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    this.child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env });
    const gather = (chunk: Buffer): void => {
      this.#output += chunk.toString('latin1');
      for (const wake of this.#waiters.splice(0)) wake();
    };
    this.child.stdout.on('data', gather);
    this.child.stderr.on('data', gather);
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code) => {
        for (const wake of this.#waiters.splice(0)) wake();
        resolve(code);
      });
    });
    t.teardown(() => {
      if (this.running) this.child.kill('SIGKILL');
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get output(): string {
    return this.#output;
  }

  /** Resolves when the output matches, rejects with the output so far on timeout or exit. */
  async waitFor(pattern: RegExp, ms = 15_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const match = this.#output.match(pattern);
      if (match) return match;
      const running = this.running;
      const left = deadline - Date.now();
      if (!running || left <= 0) {
        const why = running ? 'timeout' : 'exited';
        throw new Error(`peer output never matched ${pattern} (${why}):\n${this.#output}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  write(text: string): void {
    this.child.stdin.write(text);
  }

  end(): void {
    this.child.stdin.end();
  }

  /** Waits for the exit; kills the peer if it outlives `ms`. */
  async exit(ms = 15_000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Runs a peer to its end with this input; resolves with its exit code and output. */
export async function runPeer(t: ExecutionContext, command: string, args: readonly string[],
  input = '', ms = 20_000): Promise<{ code: number | null; output: string }> {
  const peer = new Peer(t, command, args);
  peer.child.stdin.end(input);
  const code = await peer.exit(ms);
  return { code, output: peer.output };
}
