// AEAD record protection (RFC 8446, Section 5.2 and 5.3): per-record nonces from the IV and a
// 64-bit sequence number, the content type inside TLSInnerPlaintext, padding removed on receipt.

import type { Aead, CryptoProvider } from '../crypto/provider';
import type { TrafficKeys } from '../crypto/key-schedule';
import { IV_LENGTH, TAG_LENGTH, type Suite } from '../crypto/suites';
import { TlsProtocolError } from '../errors';
import { ContentType, ProtocolVersion } from '../protocol/registry';
import { MAX_PLAINTEXT, RECORD_HEADER_LENGTH } from './limits';

/** One inner content-type byte per type, so sealing a record allocates none. */
const TYPE_BYTES: ReadonlyMap<number, Buffer> = new Map(
  Object.values(ContentType).map((t) => [t, Buffer.of(t)]),
);

/**
 * The most records one key may protect before we refuse to go on. A safe integer sequence is
 * far above the AEAD limits of RFC 8446, Section 5.5, which KeyUpdate keeps us under.
 */
export const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;

/** One direction's key, IV and sequence number. */
class DirectionState {
  readonly #aead: Aead;
  readonly #ivHigh: number;
  readonly #ivLow: number;
  readonly #iv: Buffer;
  #sequence = 0;

  constructor(provider: CryptoProvider, suite: Suite, keys: TrafficKeys) {
    this.#aead = provider.aead(suite.aead, keys.key);
    this.#iv = keys.iv;
    this.#ivHigh = keys.iv.readUInt32BE(IV_LENGTH - 8);
    this.#ivLow = keys.iv.readUInt32BE(IV_LENGTH - 4);
  }

  get aead(): Aead {
    return this.#aead;
  }

  /** The nonce for the next record: the IV XORed with the padded sequence number. */
  nextNonce(): Buffer {
    const seq = this.#sequence++;
    if (seq >= MAX_SEQUENCE)
      throw new TlsProtocolError('internal_error', 'record sequence number exhausted');
    const nonce = Buffer.allocUnsafe(IV_LENGTH);
    this.#iv.copy(nonce, 0, 0, IV_LENGTH - 8);
    nonce.writeUInt32BE((this.#ivHigh ^ Math.floor(seq / 0x100000000)) >>> 0, IV_LENGTH - 8);
    nonce.writeUInt32BE((this.#ivLow ^ (seq >>> 0)) >>> 0, IV_LENGTH - 4);
    return nonce;
  }
}

export class RecordSealer {
  readonly #state: DirectionState;

  constructor(provider: CryptoProvider, suite: Suite, keys: TrafficKeys) {
    this.#state = new DirectionState(provider, suite, keys);
  }

  /**
   * Protects one record of at most 2^14 bytes of content. Returns the pieces to write, in
   * order: header, ciphertext pieces and tag, so the content is never copied.
   */
  seal(type: number, content: readonly Buffer[], contentLength: number): Buffer[] {
    if (contentLength > MAX_PLAINTEXT)
      throw new RangeError(`record content of ${contentLength} bytes`);
    const header = Buffer.allocUnsafe(RECORD_HEADER_LENGTH);
    header[0] = ContentType.application_data;
    header.writeUInt16BE(ProtocolVersion.TLS1_2, 1);
    header.writeUInt16BE(contentLength + 1 + TAG_LENGTH, 3);
    const pieces = content.slice();
    pieces.push(TYPE_BYTES.get(type) ?? Buffer.of(type));
    const { ciphertext, tag } = this.#state.aead.seal(this.#state.nextNonce(), header, pieces);
    ciphertext.unshift(header);
    ciphertext.push(tag);
    return ciphertext;
  }
}

export interface OpenedRecord {
  type: number;
  content: Buffer;
}

export class RecordOpener {
  readonly #state: DirectionState;

  constructor(provider: CryptoProvider, suite: Suite, keys: TrafficKeys) {
    this.#state = new DirectionState(provider, suite, keys);
  }

  /** Checks the tag, then strips padding and finds the real content type. */
  open(header: Buffer, fragment: Buffer): OpenedRecord {
    if (fragment.length < TAG_LENGTH + 1) {
      throw new TlsProtocolError(
        'bad_record_mac',
        'peer sent a protected record too short to hold a tag',
      );
    }
    const body = fragment.subarray(0, fragment.length - TAG_LENGTH);
    const tag = fragment.subarray(fragment.length - TAG_LENGTH);
    const inner = this.#state.aead.open(this.#state.nextNonce(), header, [body], tag);
    if (!inner)
      throw new TlsProtocolError('bad_record_mac', 'peer sent a record that does not decrypt');

    let end = inner.length;
    while (end > 0 && inner[end - 1] === 0) end--;
    // RFC 8446, Section 5.4: a record of nothing but zeros has no content type.
    if (end === 0)
      throw new TlsProtocolError('unexpected_message', 'peer sent a record with no content type');
    const content = inner.subarray(0, end - 1);
    if (inner.length > MAX_PLAINTEXT + 1) {
      throw new TlsProtocolError(
        'record_overflow',
        `peer sent ${inner.length} bytes of inner plaintext in one record, over ${MAX_PLAINTEXT + 1}`,
      );
    }
    return { type: inner[end - 1], content };
  }
}

/** An unprotected record: the hellos, alerts before keys, and ChangeCipherSpec. */
export function plaintextRecord(
  type: number,
  content: Buffer,
  version: number = ProtocolVersion.TLS1_2,
): Buffer[] {
  const header = Buffer.allocUnsafe(RECORD_HEADER_LENGTH);
  header[0] = type;
  header.writeUInt16BE(version, 1);
  header.writeUInt16BE(content.length, 3);
  return [header, content];
}
