// A bounded reader over a byte array. Every length-prefixed vector is read through a sub-reader
// that must be consumed exactly, so a length that lies about its contents fails at once.

import { DecodeError } from '../errors';

export class Reader {
  readonly #buf: Buffer;
  #pos: number;
  readonly #end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#pos = start;
    this.#end = end;
  }

  get remaining(): number {
    return this.#end - this.#pos;
  }

  get offset(): number {
    return this.#pos;
  }

  #need(n: number, what: string): void {
    if (this.#end - this.#pos < n) throw new DecodeError(`truncated ${what}`);
  }

  u8(what = 'uint8'): number {
    this.#need(1, what);
    return this.#buf[this.#pos++];
  }

  u16(what = 'uint16'): number {
    this.#need(2, what);
    const v = this.#buf.readUInt16BE(this.#pos);
    this.#pos += 2;
    return v;
  }

  u24(what = 'uint24'): number {
    this.#need(3, what);
    const v = this.#buf.readUIntBE(this.#pos, 3);
    this.#pos += 3;
    return v;
  }

  u32(what = 'uint32'): number {
    this.#need(4, what);
    const v = this.#buf.readUInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }

  /** Returns a view (not a copy) of the next n bytes. */
  bytes(n: number, what = 'bytes'): Buffer {
    this.#need(n, what);
    const v = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return v;
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** Reads a vector with a 1, 2 or 3 byte length prefix, checking its bounds. */
  vector(lengthBytes: 1 | 2 | 3, min: number, max: number, what: string): Buffer {
    const length = this.#length(lengthBytes, what);
    if (length < min || length > max) {
      throw new DecodeError(`${what} length ${length} outside ${min}..${max}`);
    }
    return this.bytes(length, what);
  }

  /** Like vector(), but hands back a reader over the contents. */
  sub(lengthBytes: 1 | 2 | 3, min: number, max: number, what: string): Reader {
    return new Reader(this.vector(lengthBytes, min, max, what));
  }

  #length(lengthBytes: 1 | 2 | 3, what: string): number {
    if (lengthBytes === 1) return this.u8(what);
    if (lengthBytes === 2) return this.u16(what);
    return this.u24(what);
  }

  /** Fails unless every byte has been read. */
  end(what: string): void {
    if (this.#pos !== this.#end) {
      throw new DecodeError(`${this.#end - this.#pos} unexpected bytes after ${what}`);
    }
  }
}
