// Our server fed raw records over TCP on 127.0.0.1: odd alerts, records at and past the length
// limits, content before the handshake, ChangeCipherSpec out of place, a second ClientHello
// without HelloRetryRequest, a handshake header claiming 16 MB. Each must end with the alert
// RFC 8446 names (or, for a peer that merely stalls, the handshake timeout), promptly.

import test from 'ava';
import { AlertDescription as A, ContentType as T } from '../../lib/protocol/registry';
import { MAX_CIPHERTEXT, MAX_PLAINTEXT } from '../../lib/record/limits';
import { clientHello, exchange, handshake, plaintextAlerts, record, startServer } from './raw';

const hello = () => handshake(clientHello());

const cases: Array<[string, () => Buffer[], number]> = [
  ['an alert of 1 byte before the handshake', () => [record(T.alert, Buffer.of(2))], A.decode_error],
  ['an alert of 3 bytes before the handshake', () => [record(T.alert, Buffer.of(2, 40, 0))],
    A.decode_error],
  ['an empty alert record', () => [record(T.alert, Buffer.alloc(0))], A.decode_error],
  ['application data before any ClientHello', () => [record(T.application_data, Buffer.of(1))],
    A.unexpected_message],
  ['ChangeCipherSpec before any ClientHello', () => [record(T.change_cipher_spec, Buffer.of(1))],
    A.unexpected_message],
  ['ChangeCipherSpec of two bytes after ClientHello',
    () => [Buffer.concat([hello(), record(T.change_cipher_spec, Buffer.of(1, 1))])],
    A.unexpected_message],
  ['ChangeCipherSpec with value 2 after ClientHello',
    () => [Buffer.concat([hello(), record(T.change_cipher_spec, Buffer.of(2))])],
    A.unexpected_message],
  ['a record of an unknown content type', () => [record(99, Buffer.of(1, 2, 3))],
    A.unexpected_message],
  ['a zero-length handshake record', () => [record(T.handshake, Buffer.alloc(0))],
    A.unexpected_message],
  ['a plaintext record of 2^14 + 1 bytes',
    () => [record(T.handshake, Buffer.alloc(MAX_PLAINTEXT + 1, 1))], A.record_overflow],
  ['a record header claiming 2^14 + 257 bytes (no body)',
    () => [Buffer.of(T.handshake, 3, 3, (MAX_CIPHERTEXT + 1) >> 8, (MAX_CIPHERTEXT + 1) & 0xff)],
    A.record_overflow],
  ['a record header claiming 65535 bytes (no body)', () => [Buffer.of(T.handshake, 3, 3, 0xff, 0xff)],
    A.record_overflow],
  ['a handshake header claiming 16 MB', () => [record(T.handshake, Buffer.of(1, 0xff, 0xff, 0xff))],
    A.illegal_parameter],
  ['a ServerHello sent to the server', () => [record(T.handshake, Buffer.of(2, 0, 0, 1, 0))],
    A.unexpected_message],
  ['two ClientHellos in one record', () => [handshake(Buffer.concat([clientHello(), clientHello()]))],
    A.unexpected_message],
  ['a second plaintext ClientHello without HelloRetryRequest',
    () => [Buffer.concat([hello(), hello()])], A.unexpected_message],
  ['a fatal alert with an unknown description', () => [record(T.alert, Buffer.of(2, 0xee))], -1],
];

for (const [what, bytes, alert] of cases) {
  test(`server: ${what}: ${alert < 0 ? 'no alert' : `alert ${alert}`}, closed at once`, async (t) => {
    const running = await startServer(t);
    const reply = await exchange(running.port, bytes());
    t.true(reply.closed, 'the server closed the connection');
    t.true(reply.ms < 1000, `closed after ${reply.ms} ms`);
    const alerts = plaintextAlerts(reply.data);
    if (alert < 0) t.deepEqual(alerts, []);
    else if (alerts.length > 0) t.deepEqual(alerts, [alert]);
    else {
      // After ServerHello our alert is protected; it is the last record, of 2 + 1 + 16 bytes.
      t.true(reply.data.length > 0 && reply.data[reply.data.length - 24] === T.application_data,
        'a protected alert closes the reply');
    }
  });
}

test('server: a ClientHello in 1-byte records still gets its ServerHello', async (t) => {
  const running = await startServer(t);
  const message = clientHello();
  const chunks = [...message].map((b) => record(T.handshake, Buffer.of(b)));
  const reply = await exchange(running.port, [Buffer.concat(chunks)],
    { until: (d) => d.length > 100 });
  t.is(reply.data[0], T.handshake);
  t.is(reply.data[5], 2, 'ServerHello');
});

test('server: a handshake header claiming 100 KB then a trickle: the handshake timeout ends it',
  async (t) => {
    const running = await startServer(t, { handshakeTimeout: 800 });
    const trickle = Array.from({ length: 40 }, () => record(T.handshake, Buffer.alloc(50, 1)));
    const reply = await exchange(running.port,
      [record(T.handshake, Buffer.of(1, 0x01, 0x90, 0x00)), ...trickle],
      { gapMs: 50, deadlineMs: 4000 });
    t.true(reply.closed);
    t.true(reply.ms >= 700 && reply.ms < 2500, `closed after ${reply.ms} ms`);
  });

test('server: endless warning user_canceled alerts before ClientHello: the timeout ends it',
  async (t) => {
    const running = await startServer(t, { handshakeTimeout: 800 });
    const alerts = Array.from({ length: 60 }, () => record(T.alert, Buffer.of(1, A.user_canceled)));
    const reply = await exchange(running.port, alerts, { gapMs: 25, deadlineMs: 4000 });
    t.true(reply.closed);
    t.true(reply.ms < 2500, `closed after ${reply.ms} ms`);
  });
