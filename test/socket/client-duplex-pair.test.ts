// Our client and our own server joined by an in-memory Duplex pair instead of TCP: bytes cut
// one at a time or at random places, handed over at once (inside the writer's own call) or on
// a later turn of the event loop. The handshake with client authentication must complete and
// data and close_notify must cross both ways.

import test from 'ava';
import { createHash } from 'node:crypto';
import { Duplex } from 'node:stream';
import { connect } from '../../lib/connect';
import { createServer } from '../../lib/server';
import type { TlsSocket } from '../../lib/socket';
import { SERVER_NAME, demo } from '../helpers/pki';

type Cutter = (chunk: Buffer) => Buffer[];

const whole: Cutter = (chunk) => [chunk];
const bytes: Cutter = (chunk) => [...chunk].map((byte) => Buffer.of(byte));

function randomCuts(seed: number, maxPiece: number): Cutter {
  let state = seed >>> 0;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
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

/** One end of the pair: what is written here is read at the other end, cut by `cut`. */
class PairEnd extends Duplex {
  other!: PairEnd;
  readonly #cut: Cutter;
  readonly #later: boolean;

  constructor(cut: Cutter, later: boolean) {
    super();
    this.#cut = cut;
    this.#later = later;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    const deliver = (): void => {
      for (const piece of this.#cut(chunk)) this.other.push(piece);
    };
    if (this.#later) setImmediate(deliver);
    else deliver();
    callback();
  }

  override _final(callback: () => void): void {
    if (this.#later) setImmediate(() => this.other.push(null));
    else this.other.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    setImmediate(() => this.other.destroy());
    callback(error);
  }
}

function pair(cut: Cutter, later: boolean): [PairEnd, PairEnd] {
  const a = new PairEnd(cut, later);
  const b = new PairEnd(cut, later);
  a.other = b;
  b.other = a;
  return [a, b];
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function readToEnd(socket: TlsSocket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

const MODES: Array<[string, Cutter, boolean, number]> = [
  ['whole chunks, handed over at once', whole, false, 200_000],
  ['whole chunks, handed over later', whole, true, 200_000],
  ['one byte at a time, at once', bytes, false, 20_000],
  ['one byte at a time, later', bytes, true, 20_000],
  ['random splits, at once', randomCuts(99, 300), false, 200_000],
  ['random splits, later', randomCuts(5, 300), true, 200_000],
];

for (const [title, cut, later, size] of MODES) {
  test(`our client and our server over a Duplex pair: ${title}`, async (t) => {
    const [clientEnd, serverEnd] = pair(cut, later);
    const server = createServer({
      cert: demo('server.pem'), key: demo('server-key.pem'), ca: demo('ca.pem'),
      requestCert: true, rejectUnauthorized: true,
    });
    const accepted = new Promise<TlsSocket>((resolve) => server.once('secureConnection', resolve));
    server.emit('connection', serverEnd);

    const client = connect({
      socket: clientEnd, servername: SERVER_NAME, ca: demo('ca.pem'),
      cert: demo('client-ecdsa.pem'), key: demo('client-ecdsa-key.pem'),
    });
    t.teardown(() => client.destroy());
    const clientSecure = new Promise<void>((resolve, reject) => {
      client.once('secureConnect', resolve);
      client.once('error', reject);
    });
    const peer = await accepted;
    await clientSecure;
    t.true(client.authorized);
    t.true(peer.authorized, 'the server verified our certificate');

    const up = Buffer.alloc(size, 0x61);
    const down = Buffer.alloc(size * 2, 0x62);
    const serverGot = readToEnd(peer);
    const clientGot = readToEnd(client);
    client.end(up);
    peer.end(down);
    t.is(sha256(await serverGot), sha256(up));
    t.is(sha256(await clientGot), sha256(down));
  });
}
