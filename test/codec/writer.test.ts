// The Writer: integers, growth past the initial size, nested length-prefixed vectors, and the
// errors for misuse (unbalanced open/close, a vector too long for its prefix).

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { Reader } from '../../lib/codec/reader';
import { Writer } from '../../lib/codec/writer';

test('writes big-endian integers', (t) => {
  const out = new Writer().u8(0x01).u16(0x0203).u24(0x040506).u32(0x0708090a).finish();
  t.is(out.toString('hex'), '010203040506' + '0708090a');
});

test('u32 writes values above 2^31', (t) => {
  t.is(new Writer().u32(0xffffffff).u32(0x80000000).finish().toString('hex'), 'ffffffff80000000');
});

test('out-of-range integers throw instead of being truncated', (t) => {
  t.throws(() => new Writer().u16(0x10000), { instanceOf: RangeError });
  t.throws(() => new Writer().u24(0x1000000), { instanceOf: RangeError });
  t.throws(() => new Writer().u32(0x100000000), { instanceOf: RangeError });
  t.throws(() => new Writer().u16(-1), { instanceOf: RangeError });
  // u8 must not silently write 0x00 for 256: a code point above a byte is a bug upstream.
  t.throws(() => new Writer().u8(0x100), { instanceOf: RangeError });
  t.throws(() => new Writer().u8(-1), { instanceOf: RangeError });
});

test('grows past its initial size without losing bytes', (t) => {
  const data = randomBytes(1000);
  const w = new Writer(1);
  w.u8(0xaa);
  for (let i = 0; i < data.length; i += 7) w.bytes(data.subarray(i, i + 7));
  w.u16(0xbbcc);
  const out = w.finish();
  t.is(out.length, 1003);
  t.is(out[0], 0xaa);
  t.true(out.subarray(1, 1001).equals(data));
  t.is(out.readUInt16BE(1001), 0xbbcc);
});

test('vector fills in its length prefix of 1, 2 or 3 bytes', (t) => {
  t.is(
    new Writer()
      .vector(1, (w) => w.u16(0xabcd))
      .finish()
      .toString('hex'),
    '02abcd'
  );
  t.is(
    new Writer()
      .vector(2, (w) => w.u16(0xabcd))
      .finish()
      .toString('hex'),
    '0002abcd'
  );
  t.is(
    new Writer()
      .vector(3, (w) => w.u16(0xabcd))
      .finish()
      .toString('hex'),
    '000002abcd'
  );
  t.is(
    new Writer()
      .vector(2, () => undefined)
      .finish()
      .toString('hex'),
    '0000'
  );
});

test('opaque writes a byte string with its length', (t) => {
  t.is(new Writer().opaque(1, Buffer.from('abc')).finish().toString('hex'), '03616263');
  t.is(new Writer().opaque(2, Buffer.alloc(0)).finish().toString('hex'), '0000');
});

test('nested vectors each get their own length, filled when they close', (t) => {
  const out = new Writer(2)
    .vector(3, (w) => {
      w.u8(0xee);
      w.vector(2, (w2) => {
        w2.opaque(1, Buffer.from('0102', 'hex'));
        w2.vector(1, () => undefined);
      });
      w.u8(0xff);
    })
    .finish();
  // u24(1 + 2 + 4 + 1 = 8) { ee, u16(4) { 02 0102, 00 }, ff }
  t.is(out.toString('hex'), '000008' + 'ee' + '0004' + '020102' + '00' + 'ff');

  const r = new Reader(out);
  const a = r.sub(3, 0, 0xffffff, 'a');
  t.is(a.u8(), 0xee);
  const b = a.sub(2, 0, 0xffff, 'b');
  t.is(b.vector(1, 0, 255, 'c').toString('hex'), '0102');
  t.is(b.vector(1, 0, 255, 'd').length, 0);
  b.end('b');
  t.is(a.u8(), 0xff);
  a.end('a');
  r.end('all');
});

test('open and close by hand behave like vector', (t) => {
  const w = new Writer();
  w.open(2).u8(1).open(1).u8(2).u8(3).close().close();
  t.is(w.finish().toString('hex'), '0004' + '01' + '020203');
});

test('a vector at the largest length its prefix can say is accepted; one more byte throws', (t) => {
  t.is(new Writer().opaque(1, Buffer.alloc(255)).finish().length, 256);
  t.throws(() => new Writer().opaque(1, Buffer.alloc(256)), { message: /vector of 256 bytes/ });
  t.is(new Writer().opaque(2, Buffer.alloc(0xffff)).finish().readUInt16BE(0), 0xffff);
  t.throws(() => new Writer().opaque(2, Buffer.alloc(0x10000)), {
    message: /vector of 65536 bytes/,
  });
});

test('a three-byte length carries more than 64 KiB', (t) => {
  const body = randomBytes(70000);
  const out = new Writer(16).opaque(3, body).finish();
  t.is(out.readUIntBE(0, 3), 70000);
  t.true(out.subarray(3).equals(body));
});

test('close without open and finish with an open vector throw', (t) => {
  t.throws(() => new Writer().close(), { message: /close\(\) without open\(\)/ });
  t.throws(() => new Writer().open(2).u8(1).finish(), { message: /unclosed vector/ });
});

test('random nested structures written and read back are equal', (t) => {
  for (let round = 0; round < 50; round++) {
    const items = Array.from({ length: 1 + (round % 7) }, (_, i) =>
      randomBytes((round * 13 + i * 29) % 300)
    );
    const w = new Writer(8);
    w.vector(3, () => {
      for (const item of items) {
        w.vector(2, () => {
          w.u8(item.length % 256);
          w.opaque(2, item);
        });
      }
    });
    const r = new Reader(w.finish());
    const list = r.sub(3, 0, 0xffffff, 'list');
    const back: Buffer[] = [];
    while (list.remaining > 0) {
      const entry = list.sub(2, 0, 0xffff, 'entry');
      const marker = entry.u8();
      const item = entry.vector(2, 0, 0xffff, 'item');
      t.is(marker, item.length % 256);
      entry.end('entry');
      back.push(item);
    }
    r.end('all');
    t.deepEqual(
      back.map((b) => b.toString('hex')),
      items.map((b) => b.toString('hex'))
    );
  }
});
