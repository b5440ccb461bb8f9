// Cuts the incoming byte stream into records (RFC 8446, Section 5.1). Records are taken out of
// the received chunks as views; only a record that spans two chunks is copied together.

import { TlsProtocolError } from '../errors';
import { MAX_CIPHERTEXT, RECORD_HEADER_LENGTH } from './limits';

export interface RawRecord {
  type: number;
  version: number;
  /** The whole record, header included (the header is the AEAD's additional data). */
  header: Buffer;
  fragment: Buffer;
}

export class Deframer {
  #chunks: Buffer[] = [];
  #buffered = 0;

  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** The next whole record, or undefined until more bytes arrive. */
  next(): RawRecord | undefined {
    if (this.#buffered < RECORD_HEADER_LENGTH) return undefined;
    const head = this.#peek(RECORD_HEADER_LENGTH);
    const length = head.readUInt16BE(3);
    // The ciphertext bound is the larger one; plaintext records are checked again after
    // they are identified. See RFC 8446, Section 5.2.
    if (length > MAX_CIPHERTEXT) {
      throw new TlsProtocolError('record_overflow',
        `peer sent a record of ${length} bytes, over the limit of ${MAX_CIPHERTEXT}`);
    }
    if (this.#buffered < RECORD_HEADER_LENGTH + length) return undefined;
    const record = this.#take(RECORD_HEADER_LENGTH + length);
    return {
      type: record[0],
      version: record.readUInt16BE(1),
      header: record.subarray(0, RECORD_HEADER_LENGTH),
      fragment: record.subarray(RECORD_HEADER_LENGTH),
    };
  }

  #peek(n: number): Buffer {
    const first = this.#chunks[0];
    if (first.length >= n) return first;
    return Buffer.concat(this.#chunks, Math.min(this.#buffered, Math.max(n, 16)));
  }

  #take(n: number): Buffer {
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (first.length > n) {
      this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.#chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const chunk = this.#chunks[0];
      const part = Math.min(chunk.length, n - at);
      chunk.copy(out, at, 0, part);
      at += part;
      if (part === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(part);
    }
    return out;
  }
}
