// Extension blocks and every extension body codec: bytes, round trip, every prefix, trailing
// bytes, and the vector bounds of RFC 8446 (Section 4.2), RFC 6066 and RFC 7301.

import test from 'ava';
import { Reader } from '../../lib/codec/reader';
import { Writer } from '../../lib/codec/writer';
import {
  certificateAuthorities,
  cookie,
  decodeExtensions,
  empty,
  encodeExtensions,
  findExtension,
  keyShareClientHello,
  keyShareHelloRetryRequest,
  keyShareServerHello,
  namedGroupList,
  protocolNameList,
  pskKeyExchangeModes,
  serverNameList,
  signatureSchemeList,
  supportedVersionSelected,
  supportedVersionsList,
  type Extension,
} from '../../lib/messages/extensions';
import { everyPrefixFails, hex, mustFail, trailingFails } from './helpers';

interface Case {
  name: string;
  encoded: Buffer;
  value: unknown;
  decode: (data: Buffer) => unknown;
  encode: () => Buffer;
  /** Encodings that break a bound of the extension's syntax. */
  invalid: Array<[string, string]>;
}

const x25519Share = Buffer.alloc(32, 0x11);
const p256Share = Buffer.concat([Buffer.of(4), Buffer.alloc(64, 0x22)]);
const dn1 = hex('3011310f300d06035504030c0643412d6f6e65');
const dn2 = hex('300e310c300a06035504030c03434132');

const CASES: Case[] = [
  {
    name: 'supported_versions (ClientHello)',
    encoded: hex('04 0304 0303'),
    value: [0x0304, 0x0303],
    decode: supportedVersionsList.decode,
    encode: () => supportedVersionsList.encode([0x0304, 0x0303]),
    invalid: [
      ['empty list', '00'],
      ['odd length', '03 030403'],
      ['list of 255 bytes', `ff${'03'.repeat(255)}`],
    ],
  },
  {
    name: 'supported_versions (ServerHello)',
    encoded: hex('0304'),
    value: 0x0304,
    decode: supportedVersionSelected.decode,
    encode: () => supportedVersionSelected.encode(0x0304),
    invalid: [],
  },
  {
    name: 'supported_groups',
    encoded: hex('0006 001d 0017 0018'),
    value: [0x001d, 0x0017, 0x0018],
    decode: namedGroupList.decode,
    encode: () => namedGroupList.encode([0x001d, 0x0017, 0x0018]),
    invalid: [
      ['empty list', '0000'],
      ['odd length', '0003 001d00'],
    ],
  },
  {
    name: 'signature_algorithms',
    encoded: hex('0004 0403 0804'),
    value: [0x0403, 0x0804],
    decode: signatureSchemeList.decode,
    encode: () => signatureSchemeList.encode([0x0403, 0x0804]),
    invalid: [
      ['empty list', '0000'],
      ['odd length', '0001 04'],
    ],
  },
  {
    name: 'key_share (ClientHello)',
    encoded: Buffer.concat([hex('0069 001d 0020'), x25519Share, hex('0017 0041'), p256Share]),
    value: [
      { group: 0x001d, keyExchange: x25519Share },
      { group: 0x0017, keyExchange: p256Share },
    ],
    decode: keyShareClientHello.decode,
    encode: () =>
      keyShareClientHello.encode([
        { group: 0x001d, keyExchange: x25519Share },
        { group: 0x0017, keyExchange: p256Share },
      ]),
    invalid: [
      ['empty key_exchange', '0004 001d 0000'],
      ['entry past the list', '0005 001d 0002 aa'],
      ['half an entry', '0003 001d 00'],
    ],
  },
  {
    name: 'key_share (ServerHello)',
    encoded: Buffer.concat([hex('001d 0020'), x25519Share]),
    value: { group: 0x001d, keyExchange: x25519Share },
    decode: keyShareServerHello.decode,
    encode: () => keyShareServerHello.encode({ group: 0x001d, keyExchange: x25519Share }),
    invalid: [['empty key_exchange', '001d 0000']],
  },
  {
    name: 'key_share (HelloRetryRequest)',
    encoded: hex('0017'),
    value: 0x0017,
    decode: keyShareHelloRetryRequest.decode,
    encode: () => keyShareHelloRetryRequest.encode(0x0017),
    invalid: [],
  },
  {
    name: 'server_name',
    encoded: hex('000e 00 000b 6578616d706c652e636f6d'),
    value: ['example.com'],
    decode: serverNameList.decode,
    encode: () => serverNameList.encode('example.com'),
    invalid: [
      ['empty list', '0000'],
      ['empty host_name', '0003 00 0000'],
      ['name past the list', '0004 00 0005 61'],
    ],
  },
  {
    name: 'application_layer_protocol_negotiation',
    encoded: hex('000c 02 6832 08 687474702f312e31'),
    value: ['h2', 'http/1.1'],
    decode: protocolNameList.decode,
    encode: () => protocolNameList.encode(['h2', 'http/1.1']),
    invalid: [
      ['empty list', '0000'],
      ['empty ProtocolName', '0002 00 00'],
      ['list of one byte', '0001 00'],
      ['name past the list', '0002 05 61'],
    ],
  },
  {
    name: 'cookie',
    encoded: hex('0003 aabbcc'),
    value: hex('aabbcc'),
    decode: cookie.decode,
    encode: () => cookie.encode(hex('aabbcc')),
    invalid: [['empty cookie', '0000']],
  },
  {
    name: 'certificate_authorities',
    encoded: Buffer.concat([hex('0027 0013'), dn1, hex('0010'), dn2]),
    value: [dn1, dn2],
    decode: certificateAuthorities.decode,
    encode: () => certificateAuthorities.encode([dn1, dn2]),
    invalid: [
      ['empty list', '0000'],
      ['list of two bytes', '0002 0000'],
      ['empty name', '0003 0000 00'],
    ],
  },
  {
    name: 'psk_key_exchange_modes',
    encoded: hex('02 01 00'),
    value: [1, 0],
    decode: pskKeyExchangeModes.decode,
    encode: () => pskKeyExchangeModes.encode([1, 0]),
    invalid: [['empty list', '00']],
  },
];

for (const c of CASES) {
  test(`${c.name}: encodes to the expected bytes and decodes back`, (t) => {
    t.is(c.encode().toString('hex'), c.encoded.toString('hex'));
    t.deepEqual(c.decode(c.encoded), c.value);
  });

  test(`${c.name}: every prefix fails with DecodeError`, (t) => {
    everyPrefixFails(t, c.encoded, c.decode);
  });

  test(`${c.name}: trailing bytes are rejected`, (t) => {
    trailingFails(t, c.encoded, c.decode);
  });

  if (c.invalid.length > 0) {
    test(`${c.name}: bounds of the syntax are enforced`, (t) => {
      for (const [what, encoding] of c.invalid) mustFail(t, () => c.decode(hex(encoding)), what);
    });
  }
}

test('supported_versions: the longest list (127 versions) is accepted', (t) => {
  const versions = Array.from({ length: 127 }, (_, i) => 0x0300 + i);
  t.deepEqual(supportedVersionsList.decode(supportedVersionsList.encode(versions)), versions);
});

test('server_name: entries of other name types are skipped', (t) => {
  t.deepEqual(serverNameList.decode(hex('000a 01 0002 6162 00 0002 6364')), ['cd']);
});

test('key_share (ClientHello): an empty client_shares list is valid (it asks for a retry)', (t) => {
  t.deepEqual(keyShareClientHello.decode(hex('0000')), []);
  t.is(keyShareClientHello.encode([]).toString('hex'), '0000');
});

test('empty: accepts no bytes, rejects any', (t) => {
  t.is(empty.encode().length, 0);
  t.is(empty.decode(Buffer.alloc(0), 'early_data'), undefined);
  mustFail(t, () => empty.decode(hex('00'), 'early_data'), 'one byte');
  mustFail(t, () => empty.decode(hex('0000'), 'early_data'), 'two bytes');
});

const block: Extension[] = [
  { type: 0x0000, data: Buffer.alloc(0) },
  { type: 0x002b, data: hex('0304') },
  { type: 0xfe0d, data: Buffer.alloc(300, 0xab) },
];

function readBlock(data: Buffer): Extension[] {
  const r = new Reader(data);
  const list = decodeExtensions(r, 'Test');
  r.end('Test');
  return list;
}

test('extension block: bytes and round trip', (t) => {
  const w = new Writer(4);
  encodeExtensions(w, block);
  const out = w.finish();
  t.is(out.subarray(0, 12).toString('hex'), '013a' + '00000000' + '002b0002' + '0304');
  t.is(out.length, 2 + 4 + 4 + 2 + 4 + 300);
  t.deepEqual(readBlock(out), block);
  everyPrefixFails(t, out, readBlock);
  trailingFails(t, out, readBlock);
});

test("extension block: the same type twice decodes as two entries (duplicates are the handshake's call)", (t) => {
  const list = readBlock(hex('0008 0000 0000 0000 0000'));
  t.deepEqual(
    list.map((e) => e.type),
    [0, 0]
  );
});

test('extension block: an extension_data running past the block fails', (t) => {
  mustFail(t, () => readBlock(hex('0006 002b 0004 0304')), 'data longer than the block');
  mustFail(t, () => readBlock(hex('0003 002b 00')), 'half a length');
});

test('findExtension returns the first extension of a type, or undefined', (t) => {
  t.is(findExtension(block, 0x002b)?.data.toString('hex'), '0304');
  t.is(findExtension(block, 0x0033), undefined);
  const twice = [
    { type: 1, data: hex('aa') },
    { type: 1, data: hex('bb') },
  ];
  t.is(findExtension(twice, 1)?.data.toString('hex'), 'aa');
});
