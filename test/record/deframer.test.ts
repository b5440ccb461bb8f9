// The Deframer: the same records whatever the chunking of the byte stream, and the record
// length limit of RFC 8446, Section 5.2.

import test from 'ava';
import { Deframer, type RawRecord } from '../../lib/record/deframer';
import { MAX_CIPHERTEXT } from '../../lib/record/limits';
import { TlsProtocolError } from '../../lib/errors';

/** A small seeded generator, so a failing split can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

function record(type: number, fragment: Buffer, version = 0x0303): Buffer {
  const header = Buffer.of(
    type,
    version >> 8,
    version & 0xff,
    fragment.length >> 8,
    fragment.length & 0xff
  );
  return Buffer.concat([header, fragment]);
}

function fill(length: number, seed: number): Buffer {
  const next = prng(seed);
  return Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)));
}

/** Records of many sizes: empty, one byte, around a header's length, large, and the largest. */
const RECORDS: Buffer[] = [
  record(22, fill(196, 1), 0x0301),
  record(20, Buffer.of(1)),
  record(23, Buffer.alloc(0)),
  record(23, fill(4, 2)),
  record(23, fill(5, 3)),
  record(21, Buffer.of(2, 40)),
  record(23, fill(4000, 4)),
  record(23, fill(MAX_CIPHERTEXT, 5)),
  record(23, fill(17, 6)),
];
const STREAM = Buffer.concat(RECORDS);

function describe(r: RawRecord): string {
  return `${r.type}/${r.version.toString(16)}/${Buffer.concat([r.header, r.fragment]).toString('hex')}`;
}

const EXPECTED = RECORDS.map((raw) =>
  describe({
    type: raw[0],
    version: raw.readUInt16BE(1),
    header: raw.subarray(0, 5),
    fragment: raw.subarray(5),
  })
);

/** Pushes the chunks one after the other, taking out every whole record after each. */
function deframe(chunks: Buffer[]): string[] {
  const d = new Deframer();
  const out: string[] = [];
  for (const chunk of chunks) {
    d.push(chunk);
    for (let r = d.next(); r; r = d.next()) {
      if (r.header.length !== 5) throw new Error('header is not 5 bytes');
      if (r.fragment.length !== r.header.readUInt16BE(3))
        throw new Error('fragment length differs from header');
      out.push(describe(r));
    }
  }
  if (d.buffered !== 0) throw new Error(`${d.buffered} bytes left over`);
  return out;
}

test('the whole stream in one chunk gives every record', (t) => {
  t.deepEqual(deframe([STREAM]), EXPECTED);
});

test('one byte at a time gives the same records', (t) => {
  const chunks: Buffer[] = [];
  for (let i = 0; i < STREAM.length; i++) chunks.push(STREAM.subarray(i, i + 1));
  t.deepEqual(deframe(chunks), EXPECTED);
});

test('random splits give the same records', (t) => {
  for (let seed = 1; seed <= 40; seed++) {
    const next = prng(seed * 7919);
    const chunks: Buffer[] = [];
    // Small pieces for some seeds, large for others, so headers and bodies both straddle chunks.
    const scale = seed % 2 === 0 ? 9 : 6000;
    for (let at = 0; at < STREAM.length;) {
      const size = 1 + Math.floor(next() * scale);
      chunks.push(STREAM.subarray(at, at + size));
      at += size;
    }
    t.deepEqual(deframe(chunks), EXPECTED, `seed ${seed}`);
  }
});

test('copies fed in random splits are not affected by later changes to the chunks', (t) => {
  // The deframer may keep views; a caller that reuses its buffer must copy. Here every chunk
  // is a fresh copy, and the records must still be right after all chunks are pushed.
  const d = new Deframer();
  const next = prng(99);
  for (let at = 0; at < STREAM.length;) {
    const size = 1 + Math.floor(next() * 50);
    d.push(Buffer.from(STREAM.subarray(at, at + size)));
    at += size;
  }
  const out: string[] = [];
  for (let r = d.next(); r; r = d.next()) out.push(describe(r));
  t.deepEqual(out, EXPECTED);
});

test('nothing comes out until a record is whole, and buffered counts the bytes held', (t) => {
  const d = new Deframer();
  const raw = record(23, fill(10, 7));
  d.push(raw.subarray(0, 3));
  t.is(d.next(), undefined);
  t.is(d.buffered, 3);
  d.push(raw.subarray(3, 14));
  t.is(d.next(), undefined);
  t.is(d.buffered, 14);
  d.push(Buffer.alloc(0));
  t.is(d.buffered, 14);
  d.push(raw.subarray(14));
  const r = d.next();
  t.truthy(r);
  t.is(r?.type, 23);
  t.is(r?.fragment.toString('hex'), raw.subarray(5).toString('hex'));
  t.is(d.next(), undefined);
  t.is(d.buffered, 0);
});

test(`a record of ${MAX_CIPHERTEXT + 1} bytes is record_overflow as soon as its header arrives`, (t) => {
  const d = new Deframer();
  const header = Buffer.of(23, 3, 3, 0, 0);
  header.writeUInt16BE(MAX_CIPHERTEXT + 1, 3);
  d.push(header);
  const error = t.throws(() => d.next(), { instanceOf: TlsProtocolError });
  t.is(error?.alert, 'record_overflow');
  t.is(error?.code, 'ERR_TLS13_RECORD_OVERFLOW');
});

test('the largest length, 0xffff, is record_overflow even when split inside the header', (t) => {
  const d = new Deframer();
  d.push(Buffer.of(23, 3));
  t.is(d.next(), undefined);
  d.push(Buffer.of(3, 0xff));
  t.is(d.next(), undefined);
  d.push(Buffer.of(0xff));
  const error = t.throws(() => d.next(), { instanceOf: TlsProtocolError });
  t.is(error?.alert, 'record_overflow');
});

test(`a record of exactly ${MAX_CIPHERTEXT} bytes is accepted`, (t) => {
  const d = new Deframer();
  const raw = record(23, fill(MAX_CIPHERTEXT, 8));
  d.push(raw);
  const r = d.next();
  t.is(r?.fragment.length, MAX_CIPHERTEXT);
});

test('an overflow after good records: the good ones come out first', (t) => {
  const d = new Deframer();
  const bad = Buffer.of(23, 3, 3, 0xff, 0xff);
  d.push(Buffer.concat([RECORDS[1], RECORDS[3], bad]));
  t.is(d.next()?.type, 20);
  t.is(d.next()?.type, 23);
  t.throws(() => d.next(), { instanceOf: TlsProtocolError, message: /over the limit/ });
});
