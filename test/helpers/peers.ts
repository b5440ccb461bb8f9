// Real TLS peers for the interop tests: openssl s_server and gnutls-serv, each started on
// 127.0.0.1 with a free port, awaited until it listens, and stopped by the test's teardown.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ExecutionContext } from 'ava';

export const LOOPBACK = '127.0.0.1';

/** A port that was free a moment ago: bind port 0, read it, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** A peer process with its output gathered, so tests can wait for and assert what it printed. */
export class PeerProcess {
  readonly port: number;
  readonly child: ChildProcessWithoutNullStreams;
  #output = '';
  #waiters: Array<() => void> = [];
  #exited = false;

  constructor(command: string, args: string[], port: number) {
    this.port = port;
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer): void => {
      this.#output += chunk.toString('latin1');
      for (const wake of this.#waiters.splice(0)) wake();
    };
    this.child.stdout.on('data', collect);
    this.child.stderr.on('data', collect);
    this.child.stdin.on('error', () => undefined);
    this.child.once('exit', () => {
      this.#exited = true;
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** Everything the peer printed on stdout and stderr so far. */
  get output(): string {
    return this.#output;
  }

  /** Resolves once the output matches; rejects on timeout or exit, quoting the output. */
  waitFor(pattern: string | RegExp, timeoutMs = 10_000): Promise<void> {
    const matches = (): boolean => typeof pattern === 'string'
      ? this.#output.includes(pattern) : pattern.test(this.#output);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const what = `peer did not print ${String(pattern)} within ${timeoutMs} ms`;
        reject(new Error(`${what}:\n${this.#output}`));
      }, timeoutMs);
      const check = (): void => {
        if (matches()) {
          clearTimeout(timer);
          resolve();
        } else if (this.#exited) {
          clearTimeout(timer);
          reject(new Error(`peer exited before printing ${String(pattern)}:\n${this.#output}`));
        } else {
          this.#waiters.push(check);
        }
      };
      check();
    });
  }

  /** Types a line on the peer's standard input. */
  type(text: string): void {
    this.child.stdin.write(text);
  }

  stop(): Promise<void> {
    if (this.#exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}

/**
 * `openssl s_server -tls1_3` on 127.0.0.1 with the given extra arguments; resolves once it has
 * printed ACCEPT. The test's teardown stops it.
 */
export async function startOpensslServer(t: ExecutionContext,
  args: string[]): Promise<PeerProcess> {
  const port = await freePort();
  const peer = new PeerProcess('openssl',
    ['s_server', '-accept', `${LOOPBACK}:${port}`, '-tls1_3', '-naccept', '1', ...args], port);
  t.teardown(() => peer.stop());
  await peer.waitFor(/^ACCEPT$/m);
  return peer;
}

/** gnutls-serv on a free port; resolves once it says it listens and a TCP connect succeeds. */
export async function startGnutlsServer(t: ExecutionContext, args: string[]): Promise<PeerProcess> {
  const port = await freePort();
  const peer = new PeerProcess('gnutls-serv', ['-p', String(port), ...args], port);
  t.teardown(() => peer.stop());
  await peer.waitFor(/listening/i);
  await waitForPort(port);
  return peer;
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: LOOPBACK, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${LOOPBACK}:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A node:tls server on 127.0.0.1 with what it saw: secure sockets and client errors. */
export interface NodeTlsPeer {
  server: tls.Server;
  port: number;
  /** Resolves with the next connection that completes its handshake. */
  nextSecure(): Promise<tls.TLSSocket>;
  /** Resolves with the next tlsClientError. */
  nextClientError(): Promise<Error & { code?: string }>;
}

export async function startNodeTlsServer(t: ExecutionContext, options: tls.TlsOptions,
  onSecure?: (socket: tls.TLSSocket) => void): Promise<NodeTlsPeer> {
  const server = tls.createServer({ minVersion: 'TLSv1.3', ...options }, (socket) => {
    socket.on('error', () => undefined);
    onSecure?.(socket);
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  t.teardown(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    server,
    port,
    nextSecure: () => new Promise((resolve) => server.once('secureConnection', resolve)),
    nextClientError: () => new Promise((resolve) => server.once('tlsClientError', resolve)),
  };
}
