// The handshake transcript (RFC 8446, Section 4.4.1). The hash is not known until the server
// picks a suite, so messages before that are held and fed in when it is.

import type { CryptoProvider, TranscriptHash } from '../crypto/provider';
import type { Suite } from '../crypto/suites';
import { HandshakeType } from '../protocol/registry';

export class Transcript {
  readonly #provider: CryptoProvider;
  #held: Buffer[] = [];
  #hash: TranscriptHash | undefined;

  constructor(provider: CryptoProvider) {
    this.#provider = provider;
  }

  add(raw: Buffer): void {
    if (this.#hash) this.#hash.update(raw);
    else this.#held.push(raw);
  }

  /** Fixes the hash once the suite is known and feeds it the messages held so far. */
  start(suite: Suite): void {
    if (this.#hash) return;
    this.#hash = this.#provider.transcript(suite.hash);
    for (const raw of this.#held) this.#hash.update(raw);
    this.#held = [];
  }

  /**
   * After a HelloRetryRequest, ClientHello1 is replaced by a synthetic message_hash message that
   * carries its hash (RFC 8446, Section 4.4.1). Call with only ClientHello1 added so far.
   */
  replaceWithMessageHash(suite: Suite): void {
    if (this.#hash || this.#held.length !== 1) {
      throw new Error('message_hash replaces exactly ClientHello1, before the hash starts');
    }
    const clientHello1 = Buffer.concat(this.#held);
    const digest = this.#provider.hash(suite.hash, clientHello1);
    const synthetic = Buffer.concat([
      Buffer.of(HandshakeType.message_hash, 0, 0, digest.length),
      digest,
    ]);
    this.#held = [];
    this.#hash = this.#provider.transcript(suite.hash);
    this.#hash.update(synthetic);
  }

  /** Transcript-Hash of everything added so far. */
  hash(): Buffer {
    if (!this.#hash) throw new Error('transcript hash read before the suite is known');
    return this.#hash.digest();
  }
}
