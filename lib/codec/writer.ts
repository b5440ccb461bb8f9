// A growable writer whose length-prefixed vectors are opened and closed around their contents,
// so nested lengths are filled in when each vector closes.

export class Writer {
  #buf: Buffer;
  #pos = 0;
  readonly #open: Array<{ at: number; size: 1 | 2 | 3 }> = [];

  constructor(initial = 256) {
    this.#buf = Buffer.allocUnsafe(initial);
  }

  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }

  u8(v: number): this {
    this.#reserve(1);
    this.#pos = this.#buf.writeUInt8(v, this.#pos);
    return this;
  }

  u16(v: number): this {
    this.#reserve(2);
    this.#buf.writeUInt16BE(v, this.#pos);
    this.#pos += 2;
    return this;
  }

  u24(v: number): this {
    this.#reserve(3);
    this.#buf.writeUIntBE(v, this.#pos, 3);
    this.#pos += 3;
    return this;
  }

  u32(v: number): this {
    this.#reserve(4);
    this.#buf.writeUInt32BE(v, this.#pos);
    this.#pos += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.#reserve(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
    return this;
  }

  /** Writes `body` inside a vector with a length prefix of `size` bytes. */
  vector(size: 1 | 2 | 3, body: (w: this) => void): this {
    this.open(size);
    body(this);
    return this.close();
  }

  /** Writes a byte string with a length prefix. */
  opaque(size: 1 | 2 | 3, b: Uint8Array): this {
    return this.vector(size, (w) => w.bytes(b));
  }

  open(size: 1 | 2 | 3): this {
    this.#reserve(size);
    this.#open.push({ at: this.#pos, size });
    this.#pos += size;
    return this;
  }

  close(): this {
    const frame = this.#open.pop();
    if (!frame) throw new Error('writer: close() without open()');
    const length = this.#pos - frame.at - frame.size;
    if (length >= 2 ** (8 * frame.size)) throw new Error(`writer: vector of ${length} bytes`);
    this.#buf.writeUIntBE(length, frame.at, frame.size);
    return this;
  }

  finish(): Buffer {
    if (this.#open.length) throw new Error('writer: unclosed vector');
    return this.#buf.subarray(0, this.#pos);
  }
}
