// The Handshake wrapper (RFC 8446, Section 4): a type byte and a 24-bit length.

import { Writer } from '../codec/writer';

export interface HandshakeMessage {
  type: number;
  /** The body, without the 4-byte header. */
  body: Buffer;
  /** The whole message as it goes into the transcript, header included. */
  raw: Buffer;
}

/** Wraps a body in the handshake header. */
export function frameHandshake(type: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + body.length);
  out[0] = type;
  out.writeUIntBE(body.length, 1, 3);
  body.copy(out, 4);
  return out;
}

/** Encodes a message with `body` and wraps it; the header's length is filled in by the writer. */
export function encodeHandshake(type: number, body: (w: Writer) => void, size = 256): Buffer {
  const w = new Writer(size);
  w.u8(type).vector(3, body);
  return w.finish();
}
