// RecordSealer and RecordOpener (RFC 8446, Sections 5.2 to 5.4), checked against a reference
// sealer written here on node:crypto: nonces per sequence number, content type and padding
// inside TLSInnerPlaintext, and the alerts for records that fail.

import test from 'ava';
import * as crypto from 'node:crypto';
import type { TrafficKeys } from '../../lib/crypto/key-schedule';
import { NodeCryptoProvider } from '../../lib/crypto/node-provider';
import { SUITES, suiteByName, type Suite } from '../../lib/crypto/suites';
import { TlsProtocolError } from '../../lib/errors';
import { MAX_PLAINTEXT } from '../../lib/record/limits';
import { RecordOpener, RecordSealer, plaintextRecord } from '../../lib/record/protection';

const provider = new NodeCryptoProvider();
const aes128 = suiteByName('TLS_AES_128_GCM_SHA256') as Suite;

function keysFor(suite: Suite, seed: number): TrafficKeys {
  const digest = crypto.createHash('sha512').update(`keys ${seed}`).digest();
  return { key: digest.subarray(0, suite.keyLength), iv: digest.subarray(48, 60) };
}

/** Seals an already built TLSInnerPlaintext with sequence number `seq`, independently of lib/. */
function referenceSeal(suite: Suite, keys: TrafficKeys, seq: bigint, inner: Buffer): Buffer {
  const nonce = Buffer.from(keys.iv);
  const padded = Buffer.alloc(8);
  padded.writeBigUInt64BE(seq);
  for (let i = 0; i < 8; i++) nonce[4 + i] ^= padded[i];
  const header = Buffer.of(23, 3, 3, 0, 0);
  header.writeUInt16BE(inner.length + 16, 3);
  const cipher = crypto.createCipheriv(suite.aead as crypto.CipherGCMTypes, keys.key, nonce, {
    authTagLength: 16,
  });
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(inner), cipher.final()]);
  return Buffer.concat([header, body, cipher.getAuthTag()]);
}

function open(opener: RecordOpener, record: Buffer): { type: number; content: Buffer } {
  return opener.open(record.subarray(0, 5), record.subarray(5));
}

function alertOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof TlsProtocolError) return error.alert;
    throw error;
  }
  return undefined;
}

for (const suite of SUITES) {
  test(`${suite.name}: sealed records match the reference and open to their content`, (t) => {
    const keys = keysFor(suite, 1);
    const sealer = new RecordSealer(provider, suite, keys);
    const opener = new RecordOpener(provider, suite, keys);
    const contents = [
      Buffer.from('hello'),
      Buffer.alloc(0),
      crypto.randomBytes(MAX_PLAINTEXT),
      Buffer.of(0, 0, 0),
    ];
    contents.forEach((content, i) => {
      const record = Buffer.concat(sealer.seal(23, [content], content.length));
      const expected = referenceSeal(
        suite,
        keys,
        BigInt(i),
        Buffer.concat([content, Buffer.of(23)])
      );
      t.is(record.toString('hex'), expected.toString('hex'), `record ${i}`);
      const opened = open(opener, record);
      t.is(opened.type, 23);
      t.true(opened.content.equals(content), `content ${i}`);
    });
  });
}

test('the record header: application_data, legacy version 0x0303, length of content + type + tag', (t) => {
  const sealer = new RecordSealer(provider, aes128, keysFor(aes128, 2));
  const pieces = sealer.seal(22, [Buffer.alloc(100)], 100);
  t.is(pieces[0].toString('hex'), '1703030075');
  t.is(pieces[pieces.length - 1].length, 16);
  t.is(Buffer.concat(pieces).length, 5 + 100 + 1 + 16);
});

test('content given in several pieces seals like one piece', (t) => {
  const keys = keysFor(aes128, 3);
  const content = crypto.randomBytes(1000);
  const one = Buffer.concat(new RecordSealer(provider, aes128, keys).seal(23, [content], 1000));
  const split = Buffer.concat(
    new RecordSealer(provider, aes128, keys).seal(
      23,
      [content.subarray(0, 1), content.subarray(1, 500), Buffer.alloc(0), content.subarray(500)],
      1000
    )
  );
  t.is(split.toString('hex'), one.toString('hex'));
});

test('the content type survives sealing: handshake, alert, application_data', (t) => {
  const keys = keysFor(aes128, 4);
  const sealer = new RecordSealer(provider, aes128, keys);
  const opener = new RecordOpener(provider, aes128, keys);
  for (const type of [22, 21, 23]) {
    const opened = open(opener, Buffer.concat(sealer.seal(type, [Buffer.of(1, 2)], 2)));
    t.is(opened.type, type);
    t.is(opened.content.toString('hex'), '0102');
  }
});

test('sequence numbers advance: the same content sealed twice differs, and each matches its number', (t) => {
  const keys = keysFor(aes128, 5);
  const sealer = new RecordSealer(provider, aes128, keys);
  const inner = Buffer.from('same content\x17', 'latin1');
  const content = inner.subarray(0, inner.length - 1);
  const records: Buffer[] = [];
  // 300 records carry the sequence number over a byte boundary of the nonce.
  for (let i = 0; i < 300; i++)
    records.push(Buffer.concat(sealer.seal(23, [content], content.length)));
  t.not(records[0].toString('hex'), records[1].toString('hex'));
  t.is(new Set(records.map((r) => r.toString('hex'))).size, 300);
  for (const i of [0, 1, 2, 255, 256, 299]) {
    t.is(
      records[i].toString('hex'),
      referenceSeal(aes128, keys, BigInt(i), inner).toString('hex'),
      `record ${i}`
    );
  }
  const opener = new RecordOpener(provider, aes128, keys);
  for (const r of records) t.true(open(opener, r).content.equals(content));
});

test('records opened out of order fail: the opener counts its own sequence', (t) => {
  const keys = keysFor(aes128, 6);
  const sealer = new RecordSealer(provider, aes128, keys);
  const first = Buffer.concat(sealer.seal(23, [Buffer.from('one')], 3));
  const second = Buffer.concat(sealer.seal(23, [Buffer.from('two')], 3));
  const opener = new RecordOpener(provider, aes128, keys);
  t.is(
    alertOf(() => open(opener, second)),
    'bad_record_mac'
  );
  // A replay of the first record is refused too: the opener has moved on to number 1... and 2.
  const fresh = new RecordOpener(provider, aes128, keys);
  t.is(open(fresh, first).content.toString(), 'one');
  t.is(
    alertOf(() => open(fresh, first)),
    'bad_record_mac'
  );
});

test('a changed tag, ciphertext or header is bad_record_mac', (t) => {
  const keys = keysFor(aes128, 7);
  const record = Buffer.concat(
    new RecordSealer(provider, aes128, keys).seal(23, [Buffer.from('payload')], 7)
  );
  for (const [what, at] of [
    ['last tag byte', record.length - 1],
    ['first tag byte', record.length - 16],
    ['ciphertext', 5],
    ['header version', 2],
  ] as const) {
    const bad = Buffer.from(record);
    bad[at] ^= 0x01;
    const opener = new RecordOpener(provider, aes128, keys);
    t.is(
      alertOf(() => open(opener, bad)),
      'bad_record_mac',
      what
    );
  }
  t.is(
    alertOf(() => open(new RecordOpener(provider, aes128, keysFor(aes128, 8)), record)),
    'bad_record_mac',
    'other keys'
  );
});

test('a fragment too short to hold a tag and a content type is bad_record_mac', (t) => {
  const opener = new RecordOpener(provider, aes128, keysFor(aes128, 9));
  for (const length of [0, 1, 16]) {
    const header = Buffer.of(23, 3, 3, 0, length);
    t.is(
      alertOf(() => opener.open(header, Buffer.alloc(length))),
      'bad_record_mac',
      `${length} bytes`
    );
  }
});

test('an inner plaintext of nothing but zeros is unexpected_message', (t) => {
  const keys = keysFor(aes128, 10);
  for (const zeros of [1, 2, 50]) {
    const opener = new RecordOpener(provider, aes128, keys);
    const record = referenceSeal(aes128, keys, 0n, Buffer.alloc(zeros));
    t.is(
      alertOf(() => open(opener, record)),
      'unexpected_message',
      `${zeros} zero bytes`
    );
  }
  // Through our own sealer: content type 0 and no content.
  const sealed = Buffer.concat(new RecordSealer(provider, aes128, keys).seal(0, [], 0));
  t.is(
    alertOf(() => open(new RecordOpener(provider, aes128, keys), sealed)),
    'unexpected_message'
  );
});

test('padding after the content type is stripped; zeros inside the content are kept', (t) => {
  const keys = keysFor(aes128, 11);
  const opener = new RecordOpener(provider, aes128, keys);
  const cases: Array<[Buffer, number, number]> = [
    [Buffer.from('abc'), 23, 1],
    [Buffer.from('abc'), 22, 200],
    [Buffer.of(1, 0, 0), 23, 5],
    [Buffer.alloc(0), 21, 10],
  ];
  cases.forEach(([content, type, padding], seq) => {
    const inner = Buffer.concat([content, Buffer.of(type), Buffer.alloc(padding)]);
    const opened = open(opener, referenceSeal(aes128, keys, BigInt(seq), inner));
    t.is(opened.type, type);
    t.is(opened.content.toString('hex'), content.toString('hex'));
  });
});

test(`content of ${MAX_PLAINTEXT} bytes is accepted; ${MAX_PLAINTEXT + 1} is record_overflow`, (t) => {
  const keys = keysFor(aes128, 12);
  const opener = new RecordOpener(provider, aes128, keys);
  const largest = Buffer.concat([Buffer.alloc(MAX_PLAINTEXT, 0x61), Buffer.of(23)]);
  t.is(open(opener, referenceSeal(aes128, keys, 0n, largest)).content.length, MAX_PLAINTEXT);
  const over = Buffer.concat([Buffer.alloc(MAX_PLAINTEXT + 1, 0x61), Buffer.of(23)]);
  t.is(
    alertOf(() => open(opener, referenceSeal(aes128, keys, 1n, over))),
    'record_overflow'
  );
});

test('padding that takes the inner plaintext over 2^14 + 1 bytes is record_overflow', (t) => {
  // RFC 8446, Section 5.4: "the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets",
  // padding included. Here the content is 2^14 bytes, so any padding at all is too much.
  const keys = keysFor(aes128, 13);
  const inner = Buffer.concat([
    Buffer.alloc(MAX_PLAINTEXT, 0x61),
    Buffer.of(23),
    Buffer.alloc(100),
  ]);
  const opener = new RecordOpener(provider, aes128, keys);
  t.is(
    alertOf(() => open(opener, referenceSeal(aes128, keys, 0n, inner))),
    'record_overflow'
  );
  // Small content with the most padding that fits is still fine.
  const padded = Buffer.concat([Buffer.from('x'), Buffer.of(23), Buffer.alloc(MAX_PLAINTEXT - 1)]);
  t.is(open(opener, referenceSeal(aes128, keys, 1n, padded)).content.toString(), 'x');
});

test('plaintextRecord writes the header in front of the content', (t) => {
  const pieces = plaintextRecord(22, Buffer.from('0102', 'hex'));
  t.is(Buffer.concat(pieces).toString('hex'), '16030300020102');
  t.is(Buffer.concat(plaintextRecord(22, Buffer.alloc(1), 0x0301)).toString('hex'), '160301000100');
  t.is(Buffer.concat(plaintextRecord(21, Buffer.of(2, 70))).toString('hex'), '15030300020246');
});
