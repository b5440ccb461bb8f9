import test from 'ava';

import { DecodeError } from '../../lib/errors';
import { berToDer, children, decodeOid, decodeTime, encodeOid, parseDer } from '../../lib/pki/der';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

test('parseDer reads a nested structure and its children', (t) => {
  const tlv = parseDer(hex('30 06 02 01 05 04 01 ff'));
  t.is(tlv.tag, 16);
  t.true(tlv.constructed);
  const [int, oct] = children(tlv);
  t.deepEqual([int.tag, int.value], [2, hex('05')]);
  t.deepEqual([oct.tag, oct.value], [4, hex('ff')]);
});

const rejects: Array<[string, string, RegExp]> = [
  ['trailing bytes', '02 01 05 00', /trailing bytes/],
  ['truncated element', '30 05 02 01', /truncated/],
  ['indefinite length', '30 80 02 01 05 00 00', /indefinite/],
  ['non-minimal long length', '04 81 01 ff', /not minimal/],
  ['leading zero length byte', '04 82 00 01 ff', /not minimal/],
  ['child overruns parent', '30 03 02 02 05', /truncated/],
  ['BOOLEAN other than 00 or FF', '01 01 01', /BOOLEAN/],
  ['non-minimal INTEGER', '02 02 00 05', /INTEGER is not minimal/],
  ['empty INTEGER', '02 00', /INTEGER is empty/],
  ['BIT STRING with nonzero padding', '03 02 01 01', /padding/],
  ['BIT STRING with 8 unused bits', '03 02 08 00', /unused-bits/],
  ['NULL with contents', '05 01 00', /NULL/],
  ['OID with a non-minimal arc', '06 02 80 01', /not minimal/],
  ['truncated OID', '06 01 81', /truncated/],
  ['constructed INTEGER', '22 03 02 01 05', /constructed bit/],
  ['primitive SEQUENCE', '10 00', /constructed bit/],
  ['UTCTime without seconds', '17 0b 32 36 30 31 30 31 30 30 30 30 5a', /DER form/],
  ['PrintableString with @', '13 01 40', /PrintableString/],
];

for (const [name, input, message] of rejects) {
  test(`parseDer refuses ${name}`, (t) => {
    t.throws(() => parseDer(hex(input)), { instanceOf: DecodeError, message });
  });
}

test('decodeTime applies the UTCTime century rule of RFC 5280', (t) => {
  const utc = (text: string) => decodeTime({
    cls: 0,
    constructed: false,
    tag: 23,
    raw: Buffer.alloc(0),
    value: Buffer.from(text),
  });
  t.is(utc('491231235959Z').toISOString(), '2049-12-31T23:59:59.000Z');
  t.is(utc('500101000000Z').toISOString(), '1950-01-01T00:00:00.000Z');
  t.throws(() => utc('260230000000Z'), { message: /calendar date/ });
  t.throws(() => utc('260101000000+0100'), { message: /DER form/ });
});

test('OIDs round-trip through encodeOid and decodeOid', (t) => {
  for (const oid of ['1.2.840.113549.1.1.11', '2.5.29.19', '1.3.6.1.4.1.11129.2.4.2', '2.999.3']) {
    t.is(decodeOid(encodeOid(oid)), oid);
  }
});

test('parseDer never throws anything but DecodeError on random input', (t) => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < 2000; i++) {
    const buf = Buffer.from(Array.from(
      { length: 1 + Math.floor(rand() * 40) },
      () => Math.floor(rand() * 256),
    ));
    if (rand() < 0.5) buf[0] = 0x30;
    try {
      parseDer(buf);
    } catch (err) {
      if (!(err instanceof DecodeError)) t.fail(`non-DecodeError for ${buf.toString('hex')}: ${err}`);
    }
  }
  t.pass();
});

test('berToDer makes DER of indefinite lengths and segmented strings, and refuses broken BER', (t) => {
  t.deepEqual(berToDer(hex('30 80 02 01 05 00 00')), hex('30 03 02 01 05'));
  t.deepEqual(berToDer(hex('04 81 02 aa bb')), hex('04 02 aa bb'));
  t.deepEqual(berToDer(hex('24 80 04 01 aa 04 01 bb 00 00')), hex('04 02 aa bb'));
  t.deepEqual(berToDer(hex('23 08 03 02 00 aa 03 02 04 b0')), hex('03 03 04 aa b0'));
  t.throws(() => berToDer(hex('30 80 02 01 05')), { instanceOf: DecodeError });
  t.throws(() => berToDer(hex('04 80 00 00')), { message: /primitive element with indefinite/ });
  t.throws(() => berToDer(hex('02 01 05 00')), { message: /trailing bytes/ });
});
