// What the benchmark peers say to each other once a handshake is done. Both stacks' clients
// and servers speak it, so each measurement does the same work on either side.
//
// Handshakes: the server writes one byte when 'secureConnection' fires, so a client counts a
// handshake only after the server has verified its Finished (and certificate, when asked).
//
// Bulk: the client writes a 9-byte header, a direction and a 64-bit length. For "send" the
// client then writes that many bytes and the server answers one byte when it has them all;
// for "receive" the server writes that many bytes.

import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';

export const CONFIRMED = 0x01;
export const NOT_AUTHORIZED = 0x00;

export type Direction = 'send' | 'receive';

const DIRECTION_CODE: Record<Direction, number> = { send: 0x53, receive: 0x52 };
const HEADER_LENGTH = 9;

/** The cipher suite every benchmark asks for, in both stacks' `ciphers` spelling. */
export const CIPHER_SUITE = 'TLS_AES_128_GCM_SHA256';
export const KEY_EXCHANGE = 'X25519';
export const SERVER_NAME = 'localhost';

export function bulkHeader(direction: Direction, length: number): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header[0] = DIRECTION_CODE[direction];
  header.writeBigUInt64BE(BigInt(length), 1);
  return header;
}

/** The same filler for every write: contents do not change what encryption costs. */
export function fillerChunk(size: number): Buffer {
  return randomBytes(size);
}

export function serveHandshake(socket: Duplex, authorized: boolean): void {
  socket.on('error', () => undefined);
  socket.write(Buffer.of(authorized ? CONFIRMED : NOT_AUTHORIZED));
}

export function serveBulk(socket: Duplex, chunk: Buffer): void {
  socket.on('error', () => undefined);
  let header = Buffer.alloc(0);
  const onHeader = (data: Buffer): void => {
    header = Buffer.concat([header, data]);
    if (header.length < HEADER_LENGTH) return;
    socket.removeListener('data', onHeader);
    const length = Number(header.readBigUInt64BE(1));
    const rest = header.subarray(HEADER_LENGTH);
    if (header[0] === DIRECTION_CODE.send) countIncoming(socket, length, rest.length);
    else if (header[0] === DIRECTION_CODE.receive) writeOutgoing(socket, length, chunk);
    else socket.destroy();
  };
  socket.on('data', onHeader);
}

function countIncoming(socket: Duplex, length: number, already: number): void {
  let received = already;
  const check = (): void => {
    if (received < length) return;
    socket.removeListener('data', onData);
    socket.write(Buffer.of(CONFIRMED));
  };
  const onData = (data: Buffer): void => {
    received += data.length;
    check();
  };
  socket.on('data', onData);
  check();
}

/** Writes `length` bytes in `chunk`-sized writes, waiting for 'drain' as a real sender would. */
export function writeOutgoing(socket: Duplex, length: number, chunk: Buffer,
  done?: () => void): void {
  let left = length;
  const pump = (): void => {
    while (left > 0) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!socket.write(piece)) {
        socket.once('drain', pump);
        return;
      }
    }
    done?.();
  };
  pump();
}
