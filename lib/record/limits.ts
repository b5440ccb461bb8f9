// The named limits of the record layer and of handshake reassembly.

/** TLSPlaintext.length and TLSInnerPlaintext content: at most 2^14 (RFC 8446, Section 5.1). */
export const MAX_PLAINTEXT = 2 ** 14;

/** TLSCiphertext.length: at most 2^14 + 256 (RFC 8446, Section 5.2). */
export const MAX_CIPHERTEXT = 2 ** 14 + 256;

/** The record header: type, legacy_record_version, length. */
export const RECORD_HEADER_LENGTH = 5;

/**
 * The largest handshake message we buffer. A certificate chain is the largest message in
 * practice; 128 KiB holds chains of several RSA-4096 certificates with room to spare.
 */
export const MAX_HANDSHAKE_MESSAGE = 128 * 1024;

/**
 * Bytes we hold from the peer while the handshake waits for a signer that answers later. Only
 * a few records can legitimately arrive then; a peer that sends more is refused.
 */
export const MAX_BUFFERED_WHILE_WAITING = 1024 * 1024;
