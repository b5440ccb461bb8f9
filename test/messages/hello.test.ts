// ClientHello and ServerHello: round trip, truncation at every byte, trailing bytes, and the
// bounds of each field.

import test from 'ava';
import {
  decodeClientHello,
  decodeServerHello,
  encodeClientHello,
  encodeServerHello,
  type ClientHello,
  type ServerHello,
} from '../../lib/messages/hello';
import { HELLO_RETRY_REQUEST_RANDOM } from '../../lib/protocol/registry';
import { bodyOf, everyPrefixFails, hex, mustFail, trailingFails } from './helpers';

const random = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1));
const sessionId = Buffer.alloc(32, 0x5a);

const clientHello: ClientHello = {
  legacyVersion: 0x0303,
  random,
  legacySessionId: sessionId,
  cipherSuites: [0x1301, 0x1302, 0x1303],
  legacyCompressionMethods: Buffer.of(0),
  extensions: [
    { type: 0x002b, data: hex('020304') },
    { type: 0x000a, data: hex('0002001d') },
    { type: 0x0017, data: Buffer.alloc(0) },
  ],
};

const serverHello: ServerHello = {
  legacyVersion: 0x0303,
  random,
  legacySessionId: sessionId,
  cipherSuite: 0x1301,
  legacyCompressionMethod: 0,
  extensions: [{ type: 0x002b, data: hex('0304') }],
};

test('ClientHello: encodes to the expected bytes and decodes back', (t) => {
  const raw = encodeClientHello(clientHello);
  const body = bodyOf(t, raw, 1);
  const expected = Buffer.concat([
    hex('0303'),
    random,
    hex('20'),
    sessionId,
    hex('0006 1301 1302 1303'),
    hex('01 00'),
    hex('0013 002b0003020304 000a00040002001d 00170000'),
  ]);
  t.is(body.toString('hex'), expected.toString('hex'));
  t.deepEqual(decodeClientHello(body), clientHello);
});

test('ClientHello: every prefix fails with DecodeError, except the one that ends before extensions', (t) => {
  const body = encodeClientHello(clientHello).subarray(4);
  // legacy_version 2 + random 32 + session id 33 + suites 8 + compression 2 = 77: a ClientHello
  // of an old client may stop there (RFC 8446, Section 4.1.2).
  everyPrefixFails(t, body, decodeClientHello, [77]);
  const short = decodeClientHello(body.subarray(0, 77));
  t.deepEqual(short.extensions, []);
  t.deepEqual(short.cipherSuites, [0x1301, 0x1302, 0x1303]);
});

test('ClientHello: trailing bytes are rejected', (t) => {
  trailingFails(t, encodeClientHello(clientHello).subarray(4), decodeClientHello);
});

test('ClientHello: field bounds', (t) => {
  const base = (parts: { sid?: string; suites?: string; comp?: string; ext?: string }): Buffer =>
    Buffer.concat([
      hex('0303'),
      random,
      hex(parts.sid ?? '00'),
      hex(parts.suites ?? '00021301'),
      hex(parts.comp ?? '0100'),
      hex(parts.ext ?? '0000'),
    ]);
  t.notThrows(() => decodeClientHello(base({})));
  // legacy_session_id<0..32>
  mustFail(
    t,
    () => decodeClientHello(base({ sid: `21${'00'.repeat(33)}` })),
    'session id of 33 bytes'
  );
  t.is(decodeClientHello(base({ sid: `20${'00'.repeat(32)}` })).legacySessionId.length, 32);
  // cipher_suites<2..2^16-2>, whole uint16 values
  mustFail(t, () => decodeClientHello(base({ suites: '0000' })), 'no cipher suites');
  mustFail(t, () => decodeClientHello(base({ suites: '0003130113' })), 'odd cipher_suites length');
  // legacy_compression_methods<1..2^8-1>
  mustFail(t, () => decodeClientHello(base({ comp: '00' })), 'no compression methods');
  // an extension whose data length runs past the block
  mustFail(
    t,
    () => decodeClientHello(base({ ext: '0004 0000 0005' })),
    'extension data past its block'
  );
  // an extension block shorter than its content
  mustFail(t, () => decodeClientHello(base({ ext: '0003 000000' })), 'half an extension header');
});

test('ClientHello: empty session id and many suites round trip', (t) => {
  const m: ClientHello = {
    ...clientHello,
    legacySessionId: Buffer.alloc(0),
    cipherSuites: Array.from({ length: 100 }, (_, i) => 0x1300 + i),
    extensions: [],
  };
  t.deepEqual(decodeClientHello(encodeClientHello(m).subarray(4)), m);
});

test('ServerHello: encodes to the expected bytes and decodes back', (t) => {
  const raw = encodeServerHello(serverHello);
  const body = bodyOf(t, raw, 2);
  const expected = Buffer.concat([
    hex('0303'),
    random,
    hex('20'),
    sessionId,
    hex('1301 00'),
    hex('0006 002b00020304'),
  ]);
  t.is(body.toString('hex'), expected.toString('hex'));
  t.deepEqual(decodeServerHello(body), serverHello);
});

test('ServerHello: every prefix fails with DecodeError, except the one that ends before extensions', (t) => {
  const body = encodeServerHello(serverHello).subarray(4);
  // 2 + 32 + 33 + 2 + 1 = 70
  everyPrefixFails(t, body, decodeServerHello, [70]);
  t.deepEqual(decodeServerHello(body.subarray(0, 70)).extensions, []);
});

test('ServerHello: trailing bytes are rejected', (t) => {
  trailingFails(t, encodeServerHello(serverHello).subarray(4), decodeServerHello);
});

test('ServerHello: a session id echo over 32 bytes is rejected', (t) => {
  const body = Buffer.concat([
    hex('0303'),
    random,
    hex('21'),
    Buffer.alloc(33),
    hex('1301 00 0000'),
  ]);
  mustFail(t, () => decodeServerHello(body), 'session id echo of 33 bytes');
});

test('HelloRetryRequest is a ServerHello with the special random, and round trips as one', (t) => {
  const hrr: ServerHello = {
    ...serverHello,
    random: HELLO_RETRY_REQUEST_RANDOM,
    extensions: [
      { type: 0x0033, data: hex('0017') },
      { type: 0x002b, data: hex('0304') },
    ],
  };
  const decoded = decodeServerHello(encodeServerHello(hrr).subarray(4));
  t.true(decoded.random.equals(HELLO_RETRY_REQUEST_RANDOM));
  t.deepEqual(decoded, hrr);
});
