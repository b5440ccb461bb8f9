// Joins handshake fragments into whole messages (RFC 8446, Section 5.1): a message may span
// records and a record may hold several messages. Fragments are kept as they came and joined
// once, when the message is whole, so a peer that sends one byte per record costs linear time.

import { TlsProtocolError } from '../errors';
import type { HandshakeMessage } from '../messages/handshake';
import { MAX_HANDSHAKE_MESSAGE } from './limits';

const HEADER_LENGTH = 4;

export class HandshakeReassembler {
  #head: Buffer = Buffer.alloc(0);
  #fragments: Buffer[] = [];
  #fragmentBytes = 0;

  /** Bytes of a message not yet whole; a key change with any of these is an error. */
  get buffered(): number {
    return this.#head.length + this.#fragmentBytes;
  }

  push(content: Buffer): void {
    if (content.length === 0) {
      throw new TlsProtocolError(
        'unexpected_message',
        'peer sent a zero-length handshake fragment',
      );
    }
    if (this.buffered === 0) {
      this.#head = content;
    } else {
      this.#fragments.push(content);
      this.#fragmentBytes += content.length;
    }
  }

  /** The next whole message, or undefined until more fragments arrive. */
  next(): HandshakeMessage | undefined {
    const available = this.buffered;
    if (available < HEADER_LENGTH) return undefined;
    if (this.#head.length < HEADER_LENGTH) this.#join();
    const length = this.#head.readUIntBE(1, 3);
    if (length > MAX_HANDSHAKE_MESSAGE) {
      throw new TlsProtocolError(
        'illegal_parameter',
        `peer sent a handshake message of ${length} bytes, over the limit of ${MAX_HANDSHAKE_MESSAGE}`,
      );
    }
    if (available < HEADER_LENGTH + length) return undefined;
    if (this.#head.length < HEADER_LENGTH + length) this.#join();
    const raw = this.#head.subarray(0, HEADER_LENGTH + length);
    this.#head = this.#head.subarray(HEADER_LENGTH + length);
    return { type: raw[0], body: raw.subarray(HEADER_LENGTH), raw };
  }

  #join(): void {
    this.#head = Buffer.concat([this.#head, ...this.#fragments]);
    this.#fragments = [];
    this.#fragmentBytes = 0;
  }
}
