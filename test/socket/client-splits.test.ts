// The client socket over a transport that cuts the byte stream: one byte at a time, and at
// random places (seeded, so a failure can be replayed). The peer is Node's TLS server on
// 127.0.0.1; the handshake must complete and data must cross intact both ways.

import test from 'ava';
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import type * as tls from 'node:tls';
import { connect } from '../../lib/connect';
import type { TlsSocket } from '../../lib/socket';
import { LOOPBACK, startNodeTlsServer } from '../helpers/peers';
import { SERVER_NAME, demo } from '../helpers/pki';

/** A small deterministic generator (mulberry32), so a failing seed can be run again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

type Cutter = (chunk: Buffer) => Buffer[];

const oneByteAtATime: Cutter = (chunk) => [...chunk].map((byte) => Buffer.of(byte));

function randomCuts(next: () => number, maxPiece: number): Cutter {
  return (chunk) => {
    const pieces: Buffer[] = [];
    for (let at = 0; at < chunk.length;) {
      const size = 1 + Math.floor(next() * maxPiece);
      pieces.push(chunk.subarray(at, at + size));
      at += size;
    }
    return pieces;
  };
}

/**
 * A Duplex over a TCP connection that hands what it reads to the client in the pieces `cut`
 * makes, each its own 'data' event, and writes what the client sends in pieces too.
 */
class CuttingTransport extends Duplex {
  readonly pieces = { in: 0, out: 0 };
  readonly #tcp: net.Socket;
  readonly #cut: Cutter;

  constructor(tcp: net.Socket, cut: Cutter) {
    super();
    this.#tcp = tcp;
    this.#cut = cut;
    tcp.setNoDelay(true);
    tcp.on('data', (chunk: Buffer) => {
      for (const piece of cut(chunk)) {
        this.pieces.in++;
        this.push(piece);
      }
    });
    tcp.on('end', () => this.push(null));
    tcp.on('error', (error) => this.destroy(error));
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding,
    callback: (error?: Error | null) => void): void {
    const pieces = this.#cut(chunk);
    this.pieces.out += pieces.length;
    pieces.forEach((piece, i) => {
      if (i < pieces.length - 1) this.#tcp.write(piece);
      else this.#tcp.write(piece, callback);
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#tcp.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#tcp.destroy();
    callback(error);
  }
}

/** Echoes what it reads, prefixed by a SHA-256 of what it was sent in its first message. */
const ECHO_OPTIONS: tls.TlsOptions = {
  cert: demo('server.pem'), key: demo('server-key.pem'), ca: demo('ca.pem'),
  requestCert: true, rejectUnauthorized: true,
};

function collect(socket: TlsSocket, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let have = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      have += chunk.length;
      if (have >= length) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

async function roundTrip(t: import('ava').ExecutionContext, cut: Cutter, size: number,
  writes: (payload: Buffer) => Buffer[]): Promise<CuttingTransport> {
  const peer = await startNodeTlsServer(t, ECHO_OPTIONS, (socket) => socket.pipe(socket));
  const tcp = net.connect({ host: LOOPBACK, port: peer.port });
  const transport = new CuttingTransport(tcp, cut);
  const socket = connect({
    socket: transport, host: LOOPBACK, servername: SERVER_NAME, ca: demo('ca.pem'),
    cert: demo('client-ecdsa.pem'), key: demo('client-ecdsa-key.pem'),
  });
  t.teardown(() => socket.destroy());
  const seen = peer.nextSecure();
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  t.true(socket.authorized);
  t.true((await seen).authorized, 'the server accepted our certificate, read in pieces');

  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = (i * 7 + (i >> 8)) & 0xff;
  const echoed = collect(socket, size);
  for (const piece of writes(payload)) socket.write(piece);
  const back = await echoed;
  t.is(back.length, size);
  const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
  t.is(sha256(back), sha256(payload));
  return transport;
}

test('one byte at a time both ways: handshake with client certificate, 4 KiB echoed', async (t) => {
  const transport = await roundTrip(t, oneByteAtATime, 4 * 1024, (p) => [p]);
  // Every byte the server sent came as its own event.
  t.true(transport.pieces.in > 4 * 1024);
  t.true(transport.pieces.out > 4 * 1024);
});

// The deframer and the handshake reassembly join pieces once, when a record or message is
// whole, so a stream cut into single bytes costs linear time (see lib/record/deframer.ts).
test('one byte at a time: a full 16 KiB record arrives intact', async (t) => {
  const size = 16 * 1024;
  const peer = await startNodeTlsServer(t, ECHO_OPTIONS,
    (socket) => socket.write(Buffer.alloc(size, 1)));
  const tcp = net.connect({ host: LOOPBACK, port: peer.port });
  const transport = new CuttingTransport(tcp, oneByteAtATime);
  const socket = connect({
    socket: transport, host: LOOPBACK, servername: SERVER_NAME, ca: demo('ca.pem'),
    cert: demo('client-ecdsa.pem'), key: demo('client-ecdsa-key.pem'),
  });
  t.teardown(() => socket.destroy());
  await new Promise((resolve) => socket.once('secureConnect', resolve));
  const received = await collect(socket, size);
  t.deepEqual(received, Buffer.alloc(size, 1));
});

for (const seed of [1, 7, 20260, 424242]) {
  test(`random splits (seed ${seed}): handshake, 300 KiB in random writes echoed`, async (t) => {
    const next = random(seed);
    const transport = await roundTrip(t, randomCuts(next, 700), 300 * 1024,
      (payload) => randomCuts(next, 40_000)(payload));
    t.true(transport.pieces.in > 300 * 1024 / 700, `seed ${seed}`);
  });
}
