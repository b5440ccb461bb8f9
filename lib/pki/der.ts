// A strict reader for DER (ITU-T X.690, Section 10), the gate in front of asn1.js.
//
// asn1.js accepts BER-isms (indefinite and non-minimal lengths, trailing bytes, any tag class
// where a universal tag is expected), so every untrusted input passes through `parseDer` first:
// one element, fully consumed, definite minimal lengths, and well-formed primitive values for
// the universal types that X.509 uses. Only then does a schema decode it.

import { DecodeError } from '../errors';

export const TagClass = { universal: 0, application: 1, context: 2, private: 3 } as const;

/** Universal tag numbers used by X.509 and the key formats. */
export const UniversalTag = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  objectIdentifier: 6,
  enumerated: 10,
  utf8String: 12,
  sequence: 16,
  set: 17,
  numericString: 18,
  printableString: 19,
  teletexString: 20,
  ia5String: 22,
  utcTime: 23,
  generalizedTime: 24,
  visibleString: 26,
  universalString: 28,
  bmpString: 30,
} as const;

/** One tag-length-value element; `raw` covers all of it, `value` only the contents. */
export interface Tlv {
  cls: number;
  constructed: boolean;
  tag: number;
  raw: Buffer;
  value: Buffer;
}

// Lengths above this are refused: no certificate or key file comes near 16 MiB.
const MAX_LENGTH = 0xffffff;

/** Reads one element at `offset`; checks the header only. Returns it and the next offset. */
export function readTlv(buf: Buffer, offset: number): { tlv: Tlv; next: number } {
  let pos = offset;
  const need = (n: number): void => {
    if (pos + n > buf.length) throw new DecodeError('DER element truncated');
  };

  need(1);
  const first = buf[pos++];
  const cls = first >> 6;
  const constructed = (first & 0x20) !== 0;
  let tag = first & 0x1f;
  if (tag === 0x1f) tag = readHighTag(buf, () => pos++, need);

  need(1);
  let length = buf[pos++];
  if (length === 0x80) throw new DecodeError('DER forbids indefinite lengths');
  if (length > 0x80) {
    const count = length & 0x7f;
    if (count > 3) throw new DecodeError('DER length too large');
    need(count);
    if (buf[pos] === 0) throw new DecodeError('DER length is not minimal');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[pos++];
    if (length < 0x80) throw new DecodeError('DER length is not minimal');
  }
  if (length > MAX_LENGTH) throw new DecodeError('DER length too large');

  need(length);
  const tlv: Tlv = {
    cls,
    constructed,
    tag,
    raw: buf.subarray(offset, pos + length),
    value: buf.subarray(pos, pos + length),
  };
  return { tlv, next: pos + length };
}

// High tag numbers (X.690, Section 8.1.2.4): base 128, minimal, and only for tags >= 31.
function readHighTag(buf: Buffer, advance: () => number, need: (n: number) => void): number {
  let tag = 0;
  for (let i = 0; ; i++) {
    need(1);
    const b = buf[advance()];
    if (i === 0 && b === 0x80) throw new DecodeError('DER tag is not minimal');
    if (i > 3) throw new DecodeError('DER tag too large');
    tag = tag * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) break;
  }
  if (tag < 0x1f) throw new DecodeError('DER tag is not minimal');
  return tag;
}

/** The elements inside a constructed element, which must fill it exactly. */
export function children(tlv: Tlv): Tlv[] {
  if (!tlv.constructed) throw new DecodeError('DER element is not constructed');
  const out: Tlv[] = [];
  let pos = 0;
  while (pos < tlv.value.length) {
    const { tlv: child, next } = readTlv(tlv.value, pos);
    out.push(child);
    pos = next;
  }
  return out;
}

/**
 * Parses `buf` as exactly one DER element and checks it all the way down: every constructed
 * element is filled exactly by its children and every universal primitive is well formed.
 */
export function parseDer(buf: Buffer, what = 'DER input'): Tlv {
  let parsed: { tlv: Tlv; next: number };
  try {
    parsed = readTlv(buf, 0);
    if (parsed.next !== buf.length) throw new DecodeError('trailing bytes after the element');
    checkElement(parsed.tlv, 0);
  } catch (err) {
    if (err instanceof DecodeError) throw new DecodeError(`${what}: ${err.message}`);
    throw err;
  }
  return parsed.tlv;
}

// Nesting deeper than this is a denial-of-service attempt, not a certificate.
const MAX_DEPTH = 32;

function checkElement(tlv: Tlv, depth: number): void {
  if (depth > MAX_DEPTH) throw new DecodeError('DER nesting too deep');
  if (tlv.cls === TagClass.universal) checkUniversal(tlv);
  if (tlv.constructed) {
    for (const child of children(tlv)) checkElement(child, depth + 1);
  }
}

const CONSTRUCTED_ONLY = new Set<number>([UniversalTag.sequence, UniversalTag.set]);

function checkUniversal(tlv: Tlv): void {
  if (tlv.tag === 0) throw new DecodeError('DER end-of-contents marker');
  if (CONSTRUCTED_ONLY.has(tlv.tag) !== tlv.constructed) {
    throw new DecodeError(`DER tag ${tlv.tag} has the wrong constructed bit`);
  }
  if (tlv.constructed) return;
  const v = tlv.value;
  switch (tlv.tag) {
    case UniversalTag.boolean:
      if (v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff)) {
        throw new DecodeError('DER BOOLEAN must be one byte, 00 or FF');
      }
      return;
    case UniversalTag.integer:
    case UniversalTag.enumerated:
      checkInteger(v);
      return;
    case UniversalTag.bitString:
      checkBitString(v);
      return;
    case UniversalTag.null:
      if (v.length !== 0) throw new DecodeError('DER NULL has contents');
      return;
    case UniversalTag.objectIdentifier:
      decodeOid(v);
      return;
    case UniversalTag.utcTime:
    case UniversalTag.generalizedTime:
      decodeTime(tlv);
      return;
    case UniversalTag.printableString:
      if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(v.toString('latin1'))) {
        throw new DecodeError('PrintableString has a character outside its set');
      }
      return;
    default:
      return;
  }
}

function checkInteger(v: Buffer): void {
  if (v.length === 0) throw new DecodeError('DER INTEGER is empty');
  if (v.length > 1) {
    const redundant = (v[0] === 0 && v[1] < 0x80) || (v[0] === 0xff && v[1] >= 0x80);
    if (redundant) throw new DecodeError('DER INTEGER is not minimal');
  }
}

function checkBitString(v: Buffer): void {
  if (v.length === 0) throw new DecodeError('DER BIT STRING is empty');
  const unused = v[0];
  if (unused > 7 || (v.length === 1 && unused !== 0)) {
    throw new DecodeError('DER BIT STRING has a bad unused-bits count');
  }
  if (unused > 0 && (v[v.length - 1] & ((1 << unused) - 1)) !== 0) {
    throw new DecodeError('DER BIT STRING has nonzero padding bits');
  }
}

/** Dotted text of an OBJECT IDENTIFIER's contents, with minimal sub-identifiers. */
export function decodeOid(v: Buffer): string {
  if (v.length === 0) throw new DecodeError('OBJECT IDENTIFIER is empty');
  const parts: number[] = [];
  let value = 0;
  let fresh = true;
  for (const b of v) {
    if (fresh && b === 0x80) throw new DecodeError('OBJECT IDENTIFIER is not minimal');
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DecodeError('OID arc too large');
    fresh = (b & 0x80) === 0;
    if (fresh) {
      parts.push(value);
      value = 0;
    }
  }
  if (!fresh) throw new DecodeError('OBJECT IDENTIFIER is truncated');
  const head = parts[0];
  const first = head < 40 ? 0 : head < 80 ? 1 : 2;
  return [first, head - first * 40, ...parts.slice(1)].join('.');
}

/**
 * The instant of a UTCTime or GeneralizedTime, in the forms RFC 5280, Section 4.1.2.5 allows:
 * seconds present, "Z" suffix, no fraction; UTCTime years 50-99 are 19xx.
 */
export function decodeTime(tlv: Tlv): Date {
  const text = tlv.value.toString('latin1');
  const utc = tlv.tag === UniversalTag.utcTime;
  const match = utc
    ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
    : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!match) throw new DecodeError(`time "${text}" is not in the DER form RFC 5280 requires`);
  const n = match.slice(1).map(Number);
  let year = n[0];
  if (utc) year += year < 50 ? 2000 : 1900;
  const [month, day, hour, minute, second] = n.slice(1);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  const valid =
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    date.getUTCDate() === day &&
    date.getUTCMonth() === month - 1;
  if (!valid) throw new DecodeError(`time "${text}" is not a calendar date`);
  if (year < 0 || Number.isNaN(ms)) throw new DecodeError(`time "${text}" is out of range`);
  return date;
}

/** A non-negative INTEGER as a number, when it fits. */
export function decodeSmallUint(v: Buffer, what: string): number {
  checkInteger(v);
  if (v[0] & 0x80) throw new DecodeError(`${what} is negative`);
  if (v.length > 6) throw new DecodeError(`${what} is too large`);
  return v.readUIntBE(0, v.length);
}

/** Encodes a dotted OID's contents (the inverse of `decodeOid`). */
export function encodeOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const values = [arcs[0] * 40 + arcs[1], ...arcs.slice(2)];
  const out: number[] = [];
  for (const value of values) {
    const bytes = [value & 0x7f];
    for (let rest = Math.floor(value / 128); rest > 0; rest = Math.floor(rest / 128)) {
      bytes.unshift((rest & 0x7f) | 0x80);
    }
    out.push(...bytes);
  }
  return Buffer.from(out);
}

/**
 * Re-encodes BER as DER: indefinite lengths become definite, long-form lengths minimal, and
 * constructed OCTET and BIT STRINGs primitive (X.690, Section 10). SET OF order is kept. Only
 * for files a user configures, such as PKCS#12 exports from Java and Windows, which use BER;
 * what a peer sends is never relaxed this way.
 */
export function berToDer(ber: Buffer): Buffer {
  const { der, next } = convertBer(ber, 0, 0);
  if (next !== ber.length) throw new DecodeError('BER input has trailing bytes');
  return der;
}

function convertBer(buf: Buffer, offset: number, depth: number): { der: Buffer; next: number } {
  if (depth > MAX_DEPTH) throw new DecodeError('BER nesting too deep');
  const need = (at: number, n: number) => {
    if (at + n > buf.length) throw new DecodeError('BER element truncated');
  };
  need(offset, 2);
  let pos = offset + 1;
  if ((buf[offset] & 0x1f) === 0x1f) {
    for (;;) {
      need(pos, 1);
      if ((buf[pos++] & 0x80) === 0) break;
    }
  }
  const identifier = buf.subarray(offset, pos);
  const constructed = (buf[offset] & 0x20) !== 0;
  need(pos, 1);
  const first = buf[pos++];
  if (first === 0x80) {
    if (!constructed) throw new DecodeError('BER primitive element with indefinite length');
    const parts: Buffer[] = [];
    for (;;) {
      need(pos, 2);
      if (buf[pos] === 0 && buf[pos + 1] === 0) {
        return { der: rebuild(identifier, parts), next: pos + 2 };
      }
      const child = convertBer(buf, pos, depth + 1);
      parts.push(child.der);
      pos = child.next;
    }
  }
  let length = first;
  if (first > 0x80) {
    const count = first & 0x7f;
    if (count > 4) throw new DecodeError('BER length too large');
    need(pos, count);
    length = buf.readUIntBE(pos, count);
    pos += count;
  }
  need(pos, length);
  const end = pos + length;
  if (!constructed) return { der: rebuild(identifier, [], buf.subarray(pos, end)), next: end };
  const parts: Buffer[] = [];
  while (pos < end) {
    const child = convertBer(buf, pos, depth + 1);
    parts.push(child.der);
    pos = child.next;
  }
  if (pos !== end) throw new DecodeError('BER element overruns its parent');
  return { der: rebuild(identifier, parts), next: end };
}

// A constructed OCTET STRING or BIT STRING (universal 4 or 3) is joined into one primitive.
function rebuild(identifier: Buffer, parts: Buffer[], primitive?: Buffer): Buffer {
  const tag = identifier[0];
  if (primitive) return encodeTlv(identifier, primitive);
  if (tag === 0x24) return encodeTlv(Buffer.from([0x04]), Buffer.concat(parts.map(contentOf)));
  if (tag === 0x23) {
    const segments = parts.map(contentOf);
    const unused = segments.length > 0 ? segments[segments.length - 1][0] : 0;
    const bits = Buffer.concat(segments.map((s) => s.subarray(1)));
    return encodeTlv(Buffer.from([0x03]), Buffer.concat([Buffer.from([unused]), bits]));
  }
  return encodeTlv(identifier, Buffer.concat(parts));
}

function contentOf(der: Buffer): Buffer {
  return readTlv(der, 0).tlv.value;
}

function encodeTlv(identifier: Buffer, content: Buffer): Buffer {
  const n = content.length;
  const length: number[] = [];
  if (n < 0x80) length.push(n);
  else {
    for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) length.unshift(rest & 0xff);
    length.unshift(0x80 | length.length);
  }
  return Buffer.concat([identifier, Buffer.from(length), content]);
}

/**
 * The most iterations a password-based key derivation in a key file may ask for. OpenSSL
 * writes 2,048 and PKCS#12 tools up to a few hundred thousand; a count beyond this would run
 * the hash for minutes, so the file is refused instead.
 */
export const MAX_KDF_ITERATIONS = 10_000_000;
