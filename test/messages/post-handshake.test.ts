// NewSessionTicket and KeyUpdate, and the handshake header helpers.

import test from 'ava';
import { Writer } from '../../lib/codec/writer';
import { encodeHandshake, frameHandshake } from '../../lib/messages/handshake';
import {
  decodeKeyUpdate,
  decodeNewSessionTicket,
  encodeKeyUpdate,
  encodeNewSessionTicket,
  type NewSessionTicket,
} from '../../lib/messages/post-handshake';
import { bodyOf, everyPrefixFails, hex, mustFail, trailingFails } from './helpers';

const ticket: NewSessionTicket = {
  ticketLifetime: 604800,
  ticketAgeAdd: 0xfedcba98,
  ticketNonce: hex('0001'),
  ticket: Buffer.alloc(100, 0x77),
  extensions: [{ type: 0x002a, data: hex('00004000') }],
};

test('NewSessionTicket: bytes, round trip, prefixes, trailing bytes', (t) => {
  const body = bodyOf(t, encodeNewSessionTicket(ticket), 4);
  const expected = Buffer.concat([
    hex('00093a80 fedcba98 02 0001 0064'),
    Buffer.alloc(100, 0x77),
    hex('0008 002a0004 00004000'),
  ]);
  t.is(body.toString('hex'), expected.toString('hex'));
  t.deepEqual(decodeNewSessionTicket(body), ticket);
  everyPrefixFails(t, body, decodeNewSessionTicket);
  trailingFails(t, body, decodeNewSessionTicket);
});

test('NewSessionTicket: an empty nonce is allowed, an empty ticket is not', (t) => {
  const m = { ...ticket, ticketNonce: Buffer.alloc(0), extensions: [] };
  t.deepEqual(decodeNewSessionTicket(encodeNewSessionTicket(m).subarray(4)), m);
  mustFail(t, () => decodeNewSessionTicket(hex('00000001 00000002 00 0000 0000')), 'empty ticket');
});

test('KeyUpdate: both values round trip; prefixes and trailing bytes fail', (t) => {
  for (const requestUpdate of [0, 1]) {
    const body = bodyOf(t, encodeKeyUpdate({ requestUpdate }), 24);
    t.is(body.toString('hex'), `0${requestUpdate}`);
    t.deepEqual(decodeKeyUpdate(body), { requestUpdate });
    everyPrefixFails(t, body, decodeKeyUpdate);
    trailingFails(t, body, decodeKeyUpdate);
  }
  // Other values decode; rejecting them with illegal_parameter is the handshake's job.
  t.deepEqual(decodeKeyUpdate(hex('02')), { requestUpdate: 2 });
});

test('frameHandshake and encodeHandshake write the same type and 24-bit length', (t) => {
  const body = Buffer.alloc(70000, 0x61);
  const framed = frameHandshake(11, body);
  t.is(framed.subarray(0, 4).toString('hex'), '0b011170');
  t.true(framed.subarray(4).equals(body));
  const encoded = encodeHandshake(11, (w: Writer) => w.bytes(body), 16);
  t.true(encoded.equals(framed));
  t.is(frameHandshake(20, Buffer.alloc(0)).toString('hex'), '14000000');
});
