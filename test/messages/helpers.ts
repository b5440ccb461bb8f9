// Shared checks for message codecs: every prefix of a valid encoding fails with DecodeError
// (and with nothing else), and trailing bytes are rejected.

import type { ExecutionContext } from 'ava';
import { DecodeError } from '../../lib/errors';

/** What a decode call threw, or undefined when it returned. */
export function thrown(decode: () => unknown): unknown {
  try {
    decode();
    return undefined;
  } catch (error) {
    return error;
  }
}

/**
 * Decodes every proper prefix of `encoded` and requires a DecodeError, except at the lengths
 * listed in `allowed` (where a shorter form is itself valid).
 */
export function everyPrefixFails(
  t: ExecutionContext,
  encoded: Buffer,
  decode: (b: Buffer) => unknown,
  allowed: readonly number[] = []
): void {
  const wrong: string[] = [];
  for (let n = 0; n < encoded.length; n++) {
    if (allowed.includes(n)) continue;
    // A copy, so a decoder reading past the slice would find nothing there.
    const error = thrown(() => decode(Buffer.from(encoded.subarray(0, n))));
    if (!(error instanceof DecodeError)) {
      wrong.push(`${n}: ${error === undefined ? 'decoded' : String(error)}`);
    }
  }
  t.deepEqual(wrong, [], `prefixes of ${encoded.length} bytes that did not throw DecodeError`);
}

/** One extra byte, and a few, after a valid encoding are DecodeErrors. */
export function trailingFails(
  t: ExecutionContext,
  encoded: Buffer,
  decode: (b: Buffer) => unknown
): void {
  for (const extra of [Buffer.of(0), Buffer.of(0xff, 0xff, 0xff, 0xff)]) {
    t.throws(
      () => decode(Buffer.concat([encoded, extra])),
      { instanceOf: DecodeError },
      `${extra.length} trailing bytes`
    );
  }
}

export function mustFail(t: ExecutionContext, decode: () => unknown, what: string): void {
  t.throws(decode, { instanceOf: DecodeError }, what);
}

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Strips the 4-byte handshake header after checking it. */
export function bodyOf(t: ExecutionContext, message: Buffer, type: number): Buffer {
  t.is(message[0], type, 'handshake type');
  t.is(message.readUIntBE(1, 3), message.length - 4, 'handshake length');
  return message.subarray(4);
}
