// Our client as the tests drive it: connect to a loopback port with the trace recorded, then
// await the handshake, some text, an error or the close.

import * as net from 'node:net';
import { connect, type ConnectOptions } from '../../lib/connect';
import type { TlsSocket } from '../../lib/socket';
import type { TraceRecord } from '../../lib/trace/trace';
import type { NewSessionTicket } from '../../lib/messages/post-handshake';
import { LOOPBACK } from './peers';
import { SERVER_NAME, demo } from './pki';

export interface TracedClient {
  socket: TlsSocket;
  trace: TraceRecord[];
  tickets: NewSessionTicket[];
  /** Everything received so far, as text. */
  received(): string;
}

/** Connects to 127.0.0.1:port, trusting the test CA and checking the name "localhost". */
export function connectTraced(port: number, options: ConnectOptions = {}): TracedClient {
  const socket = connect({
    host: LOOPBACK, port, servername: SERVER_NAME, ca: demo('ca.pem'), ...options,
  });
  const trace: TraceRecord[] = [];
  const tickets: NewSessionTicket[] = [];
  const chunks: Buffer[] = [];
  socket.on('trace', (record: TraceRecord) => trace.push(record));
  socket.on('ticket', (ticket: NewSessionTicket) => tickets.push(ticket));
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { socket, trace, tickets, received: () => Buffer.concat(chunks).toString('latin1') };
}

export function secureConnected(socket: TlsSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('secureConnect', () => {
      socket.off('error', reject);
      resolve();
    });
    socket.once('error', reject);
  });
}

/** Resolves once `received()` contains `text`; rejects on error, close or timeout. */
export function receivedText(client: TracedClient, text: string,
  timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const { socket } = client;
    const done = (error?: Error): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', done);
      socket.off('close', onClose);
      if (error) reject(error);
      else resolve(client.received());
    };
    const onData = (): void => {
      if (client.received().includes(text)) done();
    };
    const onClose = (): void => {
      done(new Error(`closed before "${text}" arrived: ${client.received()}`));
    };
    const timer = setTimeout(() => {
      done(new Error(`"${text}" did not arrive: ${client.received()}`));
    }, timeoutMs);
    socket.on('data', onData);
    socket.once('error', done);
    socket.once('close', onClose);
    onData();
  });
}

/** The first error the socket emits and the hadError flag of the close that follows. */
export function failure(socket: TlsSocket):
  Promise<{ error: Error & { code?: string }; hadError: boolean }> {
  return new Promise((resolve, reject) => {
    let error: (Error & { code?: string }) | undefined;
    socket.once('error', (e) => {
      error = e;
    });
    socket.once('close', (hadError: boolean) => {
      if (error) resolve({ error, hadError });
      else reject(new Error('socket closed without an error'));
    });
  });
}

/** The trace's handshake messages as "sent X" / "received X", in order. */
export function messages(trace: readonly TraceRecord[]): string[] {
  return trace.flatMap((r) => (r.kind === 'message' ? [`${r.direction} ${r.message}`] : []));
}

export function alerts(trace: readonly TraceRecord[]): string[] {
  return trace.flatMap((r) => (r.kind === 'alert' ? [`${r.direction} ${r.alert}`] : []));
}

/** The trace record of the first message of that name and direction. */
export function findMessage(trace: readonly TraceRecord[], direction: 'sent' | 'received',
  name: string): Extract<TraceRecord, { kind: 'message' }> | undefined {
  return trace.find((r): r is Extract<TraceRecord, { kind: 'message' }> =>
    r.kind === 'message' && r.direction === direction && r.message === name);
}

/** Waits until `predicate` holds, checking whenever the socket emits a trace record or data. */
export function until(client: TracedClient, predicate: () => boolean, what: string,
  timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const { socket } = client;
    const check = (): void => {
      if (!predicate()) return;
      cleanup();
      resolve();
    };
    const fail = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`timed out waiting for ${what}`)), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('trace', check);
      socket.off('data', check);
      socket.off('ticket', check);
      socket.off('error', fail);
    };
    socket.on('trace', check);
    socket.on('data', check);
    socket.on('ticket', check);
    socket.once('error', fail);
    setImmediate(check);
  });
}

export interface WireRecord {
  type: number;
  length: number;
}

/**
 * Like connectTraced, over a TCP connection we open ourselves so that the records the server
 * sends can be seen as they arrive: outer type and length of each, in order.
 */
export function connectTapped(port: number, options: ConnectOptions = {}):
  TracedClient & { fromServer: WireRecord[] } {
  const transport = net.connect({ host: LOOPBACK, port });
  const fromServer: WireRecord[] = [];
  let pending = Buffer.alloc(0);
  transport.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 5 && pending.length >= 5 + pending.readUInt16BE(3)) {
      const length = pending.readUInt16BE(3);
      fromServer.push({ type: pending[0], length });
      pending = pending.subarray(5 + length);
    }
  });
  return { ...connectTraced(port, { ...options, socket: transport }), fromServer };
}
