// Sequential full handshakes, one at a time, for a fixed time or a fixed count, whichever
// ends first. The same loop drives our client and node:tls's, in this process or a peer's.

import type { Duplex } from 'node:stream';
import { CONFIRMED } from './protocol';

export interface LoopLimits {
  seconds: number;
  maxCount: number;
  /** Handshakes before the clock starts, so both stacks are measured warm. */
  warmup: number;
}

export interface LoopResult {
  count: number;
  elapsedMs: number;
  /** This process's user + system CPU over the timed part. */
  cpuMicros: number;
}

/** Opens one connection; the loop waits for the server's confirmation byte on it. */
export type Connector = () => Duplex;

const HANDSHAKE_TIMEOUT_MS = 10_000;

export async function runHandshakeLoop(connect: Connector,
  limits: LoopLimits): Promise<LoopResult> {
  for (let i = 0; i < limits.warmup; i++) await handshakeOnce(connect);

  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(limits.seconds * 1e9));
  let count = 0;
  let now = start;
  while (count < limits.maxCount && now < deadline) {
    await handshakeOnce(connect);
    count++;
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpuStart);
  return { count, elapsedMs: Number(now - start) / 1e6, cpuMicros: cpu.user + cpu.system };
}

export function handshakeOnce(connect: Connector): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect();
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.on('error', () => undefined);
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => {
      finish(new Error(`no confirmation within ${HANDSHAKE_TIMEOUT_MS} ms`));
    }, HANDSHAKE_TIMEOUT_MS);
    socket.once('error', (error: Error) => finish(error));
    socket.once('close', () => finish(new Error('closed before the server confirmed')));
    socket.once('data', (data: Buffer) => {
      if (data[0] === CONFIRMED) finish();
      else finish(new Error('the server did not authorize the client certificate'));
    });
  });
}
