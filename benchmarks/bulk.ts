// Client bulk throughput: our client and node:tls's, one after the other, against the same
// node:tls server in a peer process, with AES-128-GCM and writes of 16 KiB.

import type { Duplex } from 'node:stream';
import type { BenchContext } from './context';
import { PeerProcess } from './peer-process';
import {
  bulkHeader, CIPHER_SUITE, CONFIRMED, fillerChunk, writeOutgoing, type Direction,
} from './protocol';
import { Paired, roundOrder, type Row } from './report';
import { clientConnector, type StackName } from './stacks';

const MIB = 1024 * 1024;
const TRANSFER_TIMEOUT_MS = 120_000;

interface Transfer {
  mibPerSecond: number;
  /** Client CPU seconds per GiB moved. */
  cpuPerGib: number;
}

type TlsDuplex = Duplex & { getCipher(): { name: string } | undefined };

export async function benchBulk(ctx: BenchContext): Promise<Row[]> {
  const peer = PeerProcess.start();
  const rows: Row[] = [];
  try {
    const port = await peer.serve({
      cmd: 'serve', mode: 'bulk', requestCert: false, certs: ctx.certs, chunkSize: ctx.writeSize,
    });
    const chunk = fillerChunk(ctx.writeSize);
    const connectors = Object.fromEntries(ctx.stacks.map((stack) => [
      stack, clientConnector(stack, ctx.pems, { port, withCert: false }),
    ])) as Record<StackName, () => Duplex>;

    for (const direction of ctx.directions) {
      const throughput = new Paired();
      const cpu = new Paired();
      const warmupBytes = Math.min(ctx.bulkBytes, 8 * MIB);
      for (const stack of ctx.stacks) {
        await transfer(connectors[stack], direction, warmupBytes, chunk);
      }
      for (let round = 0; round < ctx.rounds; round++) {
        const results: Partial<Record<StackName, Transfer>> = {};
        for (const stack of roundOrder(round, ctx.stacks)) {
          results[stack] = await transfer(connectors[stack], direction, ctx.bulkBytes, chunk);
        }
        ctx.log(`bulk ${direction} round ${round + 1}: ${describe(results)}`);
        throughput.add({ ours: results.ours?.mibPerSecond, node: results.node?.mibPerSecond });
        cpu.add({ ours: results.ours?.cpuPerGib, node: results.node?.cpuPerGib });
      }
      const size = `${ctx.bulkBytes / MIB} MiB in ${ctx.writeSize / 1024} KiB writes`;
      const verb = direction === 'send' ? 'client sends' : 'client receives';
      rows.push(throughput.row(`bulk, ${verb} ${size}`, 'MiB/s'));
      rows.push(cpu.row(`  client CPU for the same`, 's per GiB'));
    }
  } finally {
    await peer.stop();
  }
  return rows;
}

function describe(results: Partial<Record<StackName, Transfer>>): string {
  return Object.entries(results)
    .map(([stack, r]) => `${stack} ${r.mibPerSecond.toFixed(0)} MiB/s`)
    .join(', ');
}

/** One connection: handshake untimed, then `length` bytes in one direction, timed. */
async function transfer(connect: () => Duplex, direction: Direction, length: number,
  chunk: Buffer): Promise<Transfer> {
  const socket = connect() as TlsDuplex;
  try {
    await secureConnected(socket);
    const cipher = socket.getCipher()?.name;
    if (cipher !== CIPHER_SUITE) throw new Error(`negotiated ${cipher}, not ${CIPHER_SUITE}`);

    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bulk transfer timed out')),
        TRANSFER_TIMEOUT_MS);
      const done = (error?: Error): void => {
        clearTimeout(timer);
        socket.removeAllListeners('data');
        if (error) reject(error);
        else resolve();
      };
      socket.once('error', done);
      socket.write(bulkHeader(direction, length));
      if (direction === 'send') {
        socket.once('data', (data: Buffer) => done(data[0] === CONFIRMED ? undefined
          : new Error('server did not confirm the bytes')));
        writeOutgoing(socket, length, chunk);
      } else {
        let received = 0;
        socket.on('data', (data: Buffer) => {
          received += data.length;
          if (received >= length) done();
        });
      }
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return {
      mibPerSecond: length / MIB / seconds,
      cpuPerGib: cpuSeconds / (length / (1024 * MIB)),
    };
  } finally {
    socket.on('error', () => undefined);
    socket.destroy();
  }
}

function secureConnected(socket: Duplex): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('secureConnect', () => {
      socket.removeListener('error', reject);
      resolve();
    });
    socket.once('error', reject);
  });
}
