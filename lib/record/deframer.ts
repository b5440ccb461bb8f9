// Cuts the incoming byte stream into records (RFC 8446, Section 5.1). Records are taken out of
// the received chunks as views; only a record that spans chunks is copied, once. The cost stays
// linear however the stream is cut, even one byte per chunk.

import { TlsProtocolError } from '../errors';
import { ContentType } from '../protocol/registry';
import { MAX_CIPHERTEXT, RECORD_HEADER_LENGTH } from './limits';

export interface RawRecord {
  type: number;
  version: number;
  /** The record header (the AEAD's additional data). */
  header: Buffer;
  fragment: Buffer;
}

/** Consumed chunks are dropped from the list in batches of this many. */
const COMPACT_AFTER = 64;

export class Deframer {
  #chunks: Buffer[] = [];
  #head = 0;
  #buffered = 0;
  readonly #header = Buffer.alloc(RECORD_HEADER_LENGTH);

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
    const head = this.#peekHeader();
    checkHeader(head);
    const length = head.readUInt16BE(3);
    // The ciphertext bound is the larger one; plaintext records are checked again after
    // they are identified. See RFC 8446, Section 5.2.
    if (length > MAX_CIPHERTEXT) {
      throw new TlsProtocolError(
        'record_overflow',
        `peer sent a record of ${length} bytes, over the limit of ${MAX_CIPHERTEXT}`,
      );
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

  /** The five header bytes, read in place or gathered from the first few chunks. */
  #peekHeader(): Buffer {
    const first = this.#chunks[this.#head];
    if (first.length >= RECORD_HEADER_LENGTH) return first;
    let at = 0;
    for (let i = this.#head; at < RECORD_HEADER_LENGTH; i++) {
      at += this.#chunks[i].copy(this.#header, at, 0, RECORD_HEADER_LENGTH - at);
    }
    return this.#header;
  }

  #take(n: number): Buffer {
    this.#buffered -= n;
    const first = this.#chunks[this.#head];
    if (first.length >= n) {
      if (first.length === n) this.#advance();
      else this.#chunks[this.#head] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const chunk = this.#chunks[this.#head];
      const part = Math.min(chunk.length, n - at);
      chunk.copy(out, at, 0, part);
      at += part;
      if (part === chunk.length) this.#advance();
      else this.#chunks[this.#head] = chunk.subarray(part);
    }
    return out;
  }

  #advance(): void {
    this.#head++;
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** The record types of RFC 8446, Section 5.1; anything else is not a TLS record. */
const CONTENT_TYPES = new Set<number>([
  ContentType.change_cipher_spec,
  ContentType.alert,
  ContentType.handshake,
  ContentType.application_data,
]);

/**
 * Refuses, from its first five bytes, a stream that is not TLS (an HTTP request, an SSH banner),
 * instead of waiting for a "record" as long as those bytes happen to say.
 */
function checkHeader(head: Buffer): void {
  if (CONTENT_TYPES.has(head[0]) && head[1] === 3) return;
  const text = head
    .subarray(0, RECORD_HEADER_LENGTH)
    .toString('latin1')
    .replace(/[^ -~]/g, '.');
  const what = CONTENT_TYPES.has(head[0])
    ? `a record with version 0x${head.readUInt16BE(1).toString(16).padStart(4, '0')}`
    : `a record of unknown type ${head[0]}`;
  throw new TlsProtocolError(
    'unexpected_message',
    `peer sent ${what}: it does not speak TLS (first bytes "${text}")`,
    'ERR_TLS13_NOT_TLS',
  );
}
