// The bounded Reader: integers, views, vectors with bounds, nested sub-readers, and the end
// check. Every failure must be a DecodeError, never a RangeError from Buffer.

import test from 'ava';
import { Reader } from '../../lib/codec/reader';
import { DecodeError } from '../../lib/errors';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('reads big-endian integers of 1, 2, 3 and 4 bytes and tracks the offset', (t) => {
  const r = new Reader(hex('01 0203 040506 0708090a ff'));
  t.is(r.remaining, 11);
  t.is(r.u8(), 0x01);
  t.is(r.offset, 1);
  t.is(r.u16(), 0x0203);
  t.is(r.u24(), 0x040506);
  t.is(r.u32(), 0x0708090a);
  t.is(r.offset, 10);
  t.is(r.remaining, 1);
  t.is(r.u8(), 0xff);
  t.is(r.remaining, 0);
  t.notThrows(() => r.end('all'));
});

test('u32 reads values above 2^31 as unsigned', (t) => {
  t.is(new Reader(hex('ffffffff')).u32(), 0xffffffff);
  t.is(new Reader(hex('80000000')).u32(), 0x80000000);
});

for (const [name, size] of [
  ['u8', 1],
  ['u16', 2],
  ['u24', 3],
  ['u32', 4],
] as const) {
  test(`${name} on ${size - 1} remaining bytes throws DecodeError naming the field`, (t) => {
    const r = new Reader(Buffer.alloc(size - 1, 0xaa));
    const error = t.throws(() => r[name]('my_field'), { instanceOf: DecodeError });
    t.regex(error?.message ?? '', /truncated my_field/);
    t.is(error?.code, 'ERR_TLS13_DECODE');
    // A failed read consumes nothing.
    t.is(r.remaining, size - 1);
  });
}

test('bytes returns a view of the buffer, not a copy', (t) => {
  const buf = hex('00112233');
  const r = new Reader(buf);
  r.u8();
  const view = r.bytes(2);
  t.is(view.toString('hex'), '1122');
  buf[1] = 0x99;
  t.is(view[0], 0x99);
  t.is(r.remaining, 1);
});

test('bytes past the end throws DecodeError; bytes(0) at the end is allowed', (t) => {
  const r = new Reader(hex('0011'));
  t.throws(() => r.bytes(3, 'blob'), { instanceOf: DecodeError, message: /truncated blob/ });
  t.is(r.bytes(2).toString('hex'), '0011');
  t.is(r.bytes(0).length, 0);
  t.throws(() => r.bytes(1), { instanceOf: DecodeError });
});

test('rest takes everything left', (t) => {
  const r = new Reader(hex('aabbccdd'));
  r.u8();
  t.is(r.rest().toString('hex'), 'bbccdd');
  t.is(r.remaining, 0);
  t.is(r.rest().length, 0);
});

test('a reader over a window of a buffer never reads outside it', (t) => {
  const buf = hex('ff 0102 ff');
  const r = new Reader(buf, 1, 3);
  t.is(r.remaining, 2);
  t.is(r.offset, 1);
  t.is(r.u16(), 0x0102);
  t.throws(() => r.u8(), { instanceOf: DecodeError });
  t.notThrows(() => r.end('window'));
});

for (const size of [1, 2, 3] as const) {
  test(`vector with a ${size}-byte length: exact bounds accepted, outside rejected`, (t) => {
    const prefix = (n: number): Buffer => {
      const b = Buffer.alloc(size);
      b.writeUIntBE(n, 0, size);
      return b;
    };
    const ok = new Reader(Buffer.concat([prefix(3), hex('aabbcc')]));
    t.is(ok.vector(size, 3, 3, 'v').toString('hex'), 'aabbcc');
    t.is(ok.remaining, 0);

    // Below the minimum, above the maximum.
    t.throws(() => new Reader(Buffer.concat([prefix(2), hex('aabb')])).vector(size, 3, 10, 'v'), {
      instanceOf: DecodeError,
      message: /v length 2 outside 3\.\.10/,
    });
    t.throws(
      () => new Reader(Buffer.concat([prefix(4), hex('aabbccdd')])).vector(size, 0, 3, 'v'),
      { instanceOf: DecodeError, message: /v length 4 outside 0\.\.3/ }
    );
    // A length that promises more than is there.
    t.throws(() => new Reader(Buffer.concat([prefix(5), hex('aabb')])).vector(size, 0, 100, 'v'), {
      instanceOf: DecodeError,
      message: /truncated v/,
    });
    // The length prefix itself cut short.
    t.throws(() => new Reader(prefix(0).subarray(0, size - 1)).vector(size, 0, 100, 'v'), {
      instanceOf: DecodeError,
    });
    // An empty vector where zero is allowed.
    const empty = new Reader(prefix(0));
    t.is(empty.vector(size, 0, 10, 'v').length, 0);
    t.is(empty.remaining, 0);
  });
}

test('a vector length over the window is truncation even when the buffer holds more bytes', (t) => {
  // The length 3 fits in the whole buffer, but the reader's window ends after 2 content bytes.
  const buf = hex('03 aabb cc');
  const r = new Reader(buf, 0, 3);
  t.throws(() => r.vector(1, 0, 255, 'v'), { instanceOf: DecodeError });
});

test('sub gives a reader over the vector contents that must be consumed exactly', (t) => {
  const r = new Reader(hex('0005 01 0203 0405 ee'));
  const inner = r.sub(2, 0, 0xffff, 'outer');
  t.is(r.remaining, 1);
  t.is(inner.u8(), 1);
  t.is(inner.u16(), 0x0203);
  t.throws(() => inner.end('outer'), {
    instanceOf: DecodeError,
    message: /2 unexpected bytes after outer/,
  });
  t.is(inner.u16(), 0x0405);
  t.notThrows(() => inner.end('outer'));
  // The inner reader cannot run past its own end into the outer bytes.
  t.throws(() => inner.u8(), { instanceOf: DecodeError });
  t.is(r.u8(), 0xee);
});

test('nested lengths: an inner vector that claims more than its outer vector holds fails', (t) => {
  // Outer length 3 holds an inner length 4: the inner vector runs past the outer one.
  const r = new Reader(hex('0003 0004 aa bb cc dd'));
  const outer = r.sub(2, 0, 0xffff, 'outer');
  t.throws(() => outer.vector(2, 0, 0xffff, 'inner'), {
    instanceOf: DecodeError,
    message: /truncated inner/,
  });
});

test('nested lengths: an inner vector shorter than its outer vector leaves bytes that end() rejects', (t) => {
  const r = new Reader(hex('0004 01 aa bb cc'));
  const outer = r.sub(2, 0, 0xffff, 'outer');
  t.is(outer.vector(1, 0, 255, 'inner').toString('hex'), 'aa');
  t.throws(() => outer.end('outer'), { instanceOf: DecodeError, message: /2 unexpected bytes/ });
});

test('three levels of nesting decode in order', (t) => {
  // u24 length 7 { u16 length 5 { u8 length 3 { 010203 } ff } }
  const r = new Reader(hex('000007 0005 03 010203 ff'));
  const a = r.sub(3, 0, 0xffffff, 'a');
  const b = a.sub(2, 0, 0xffff, 'b');
  t.is(b.vector(1, 1, 255, 'c').toString('hex'), '010203');
  t.is(b.u8(), 0xff);
  b.end('b');
  a.end('a');
  r.end('all');
  t.pass();
});

test('end() with bytes left throws DecodeError saying how many', (t) => {
  const r = new Reader(hex('0102'));
  r.u8();
  t.throws(() => r.end('Thing'), {
    instanceOf: DecodeError,
    message: '1 unexpected bytes after Thing',
  });
});

test('the empty reader: every read fails, end() passes', (t) => {
  const r = new Reader(Buffer.alloc(0));
  t.is(r.remaining, 0);
  for (const read of [
    () => r.u8(),
    () => r.u16(),
    () => r.u24(),
    () => r.u32(),
    () => r.bytes(1),
    () => r.vector(1, 0, 1, 'v'),
    () => r.sub(2, 0, 1, 's'),
  ]) {
    t.throws(read, { instanceOf: DecodeError });
  }
  t.notThrows(() => r.end('nothing'));
});
