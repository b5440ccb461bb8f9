// The one interface between the protocol and its primitives. The engine never imports
// node:crypto; it asks a CryptoProvider, so tests can pin randomness and other back ends can
// replace node:crypto.

import type { KeyObject } from 'node:crypto';
import type { Group } from './groups';
import type { Scheme } from './schemes';
import type { AeadName, HashName } from './suites';

/** A running hash that can be read at any point without ending it. */
export interface TranscriptHash {
  update(data: Buffer): void;
  /** The hash of everything so far; the running hash goes on. */
  digest(): Buffer;
}

/** An AEAD with a fixed key; the nonce changes per record. */
export interface Aead {
  /** Seals `pieces` as one plaintext and returns the ciphertext and the 16-byte tag. */
  seal(
    nonce: Buffer,
    aad: Buffer,
    pieces: readonly Buffer[],
  ): { ciphertext: Buffer[]; tag: Buffer };
  /** Opens a ciphertext given in pieces; returns undefined when the tag does not verify. */
  open(nonce: Buffer, aad: Buffer, pieces: readonly Buffer[], tag: Buffer): Buffer | undefined;
}

/** One side of an ephemeral key exchange. */
export interface KeyShare {
  group: Group;
  /** The key_exchange value to send. */
  publicKey: Buffer;
  /** The shared secret; throws when the peer's value is not a valid point. */
  deriveSecret(peerPublicKey: Buffer): Buffer;
}

export interface CryptoProvider {
  random(length: number): Buffer;
  hash(hash: HashName, data: Buffer): Buffer;
  transcript(hash: HashName): TranscriptHash;
  hmac(hash: HashName, key: Buffer, data: Buffer): Buffer;
  hkdfExtract(hash: HashName, salt: Buffer, ikm: Buffer): Buffer;
  hkdfExpand(hash: HashName, prk: Buffer, info: Buffer, length: number): Buffer;
  aead(name: AeadName, key: Buffer): Aead;
  generateKeyShare(group: Group): KeyShare;
  sign(scheme: Scheme, key: KeyObject, data: Buffer): Buffer;
  verify(scheme: Scheme, key: KeyObject, data: Buffer, signature: Buffer): boolean;
  /** Compares two byte strings in time that does not depend on where they differ. */
  equal(a: Buffer, b: Buffer): boolean;
}
