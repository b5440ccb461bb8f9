// The sending half of the record layer: handshake messages gathered per flight and key, sealed
// in as few records as fit; application data packed into records of up to 2^14 bytes; alerts
// and the dummy ChangeCipherSpec. Bytes leave through `send` as pieces, never concatenated.

import type { CryptoProvider } from '../crypto/provider';
import type { TrafficKeys } from '../crypto/key-schedule';
import type { Suite } from '../crypto/suites';
import { ContentType, ProtocolVersion } from '../protocol/registry';
import { MAX_PLAINTEXT } from './limits';
import { RecordSealer, plaintextRecord } from './protection';

export class RecordWriter {
  readonly #provider: CryptoProvider;
  readonly #send: (pieces: Buffer[]) => void;
  readonly #isClient: boolean;
  #sealer: RecordSealer | undefined;
  #pending: Buffer[] = [];
  #pendingLength = 0;
  #sentPlaintext = false;

  constructor(provider: CryptoProvider, send: (pieces: Buffer[]) => void, isClient: boolean) {
    this.#provider = provider;
    this.#send = send;
    this.#isClient = isClient;
  }

  get protected(): boolean {
    return this.#sealer !== undefined;
  }

  /** Holds a handshake message until the flight ends or the keys change. */
  queueHandshake(raw: Buffer): void {
    this.#pending.push(raw);
    this.#pendingLength += raw.length;
  }

  /** Drops messages not yet sent: a flight cut short by a failure goes no further. */
  discardHandshake(): void {
    this.#pending = [];
    this.#pendingLength = 0;
  }

  // Handshake messages of one flight and one key go out together, in as few records as fit.
  flushHandshake(): void {
    if (this.#pendingLength === 0) return;
    const all =
      this.#pending.length === 1
        ? this.#pending[0]
        : Buffer.concat(this.#pending, this.#pendingLength);
    this.discardHandshake();
    for (let at = 0; at < all.length; at += MAX_PLAINTEXT) {
      this.#record(ContentType.handshake, all.subarray(at, at + MAX_PLAINTEXT));
    }
  }

  /** New write keys, at a record boundary: what was queued goes out under the old ones. */
  setKeys(suite: Suite, keys: TrafficKeys): void {
    this.flushHandshake();
    this.#sealer = new RecordSealer(this.#provider, suite, keys);
  }

  sendChangeCipherSpec(): void {
    this.flushHandshake();
    this.#send(plaintextRecord(ContentType.change_cipher_spec, Buffer.of(1)));
  }

  sendAlert(level: number, description: number): void {
    this.flushHandshake();
    this.#record(ContentType.alert, Buffer.of(level, description));
  }

  /** Seals application data into records of up to 2^14 bytes, packing small writes together. */
  writeApplicationData(chunks: readonly Buffer[]): void {
    const sealer = this.#sealer as RecordSealer;
    let record: Buffer[] = [];
    let length = 0;
    for (let chunk of chunks) {
      while (chunk.length > 0) {
        const take = Math.min(chunk.length, MAX_PLAINTEXT - length);
        record.push(take === chunk.length ? chunk : chunk.subarray(0, take));
        length += take;
        chunk = chunk.subarray(take);
        if (length === MAX_PLAINTEXT) {
          this.#send(sealer.seal(ContentType.application_data, record, length));
          record = [];
          length = 0;
        }
      }
    }
    if (length > 0) this.#send(sealer.seal(ContentType.application_data, record, length));
  }

  #record(type: number, content: Buffer): void {
    if (this.#sealer) {
      this.#send(this.#sealer.seal(type, [content], content.length));
      return;
    }
    // The first ClientHello may carry 0x0301 for old middleboxes (RFC 8446, Section 5.1).
    const first = this.#isClient && !this.#sentPlaintext;
    this.#sentPlaintext = true;
    this.#send(plaintextRecord(type, content, first ? ProtocolVersion.TLS1_0 : undefined));
  }
}
