// Our server and ClientHellos over TCP on 127.0.0.1: a seeded corpus of mutated ClientHellos,
// HelloRetryRequest flows with a wrong second ClientHello, and many half-open connections that
// the handshake timeout must free.

import { generateKeyPairSync } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import test from 'ava';
import { AlertDescription as A, ContentType as T, NamedGroup } from '../../lib/protocol/registry';
import { demo } from '../helpers/pki';
import {
  LOOPBACK, clientHello, exchange, handshake, plaintextAlerts, record, records,
  seeded, startServer,
} from './raw';

function mutate(rnd: (n: number) => number, message: Buffer): Buffer {
  const out = Buffer.from(message);
  switch (rnd(6)) {
    case 0: // a few random bytes
      for (let i = 0, n = 1 + rnd(4); i < n; i++) out[rnd(out.length)] = rnd(256);
      return out;
    case 1: // truncated, with the header left as it was
      return out.subarray(0, 1 + rnd(out.length - 1));
    case 2: { // bytes inserted
      const at = rnd(out.length);
      const extra = Buffer.from(Array.from({ length: 1 + rnd(8) }, () => rnd(256)));
      return Buffer.concat([out.subarray(0, at), extra, out.subarray(at)]);
    }
    case 3: // a 16-bit field (a length, most likely) overwritten
      out.writeUInt16BE(rnd(0x10000), rnd(out.length - 1));
      return out;
    case 4: { // truncated, and the handshake length made to match
      const cut = out.subarray(0, 4 + rnd(out.length - 4));
      cut.writeUIntBE(cut.length - 4, 1, 3);
      return cut;
    }
    default: // one bit flipped
      out[rnd(out.length)] ^= 1 << rnd(8);
      return out;
  }
}

test('server: 400 mutated ClientHellos: each gets an alert, a ServerHello or the timeout; ' +
  'never internal_error; the server keeps serving', async (t) => {
  const running = await startServer(t, { handshakeTimeout: 300 });
  const rnd = seeded(20261204);
  const base = clientHello();
  const outcomes: Record<string, number> = {};
  const batch = 40;
  for (let i = 0; i < 400; i += batch) {
    const replies = await Promise.all(Array.from({ length: batch }, () => {
      const message = mutate(rnd, base);
      const bytes = rnd(4) === 0 ? mutate(rnd, handshake(message)) : handshake(message);
      return exchange(running.port, [bytes], { deadlineMs: 2500 });
    }));
    for (const reply of replies) {
      const alerts = plaintextAlerts(reply.data);
      const types = records(reply.data).map((r) => r.type);
      const key = alerts.length ? `alert ${alerts.join(',')}`
        : types[0] === T.handshake ? 'ServerHello'
          : reply.closed ? 'closed' : 'still open';
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      t.true(reply.closed || types[0] === T.handshake, 'every connection ends or progresses');
      t.false(alerts.includes(A.internal_error), 'no internal_error for a malformed hello');
      // A close without an alert is only the handshake timeout, for a hello still incomplete.
      if (key === 'closed') t.true(reply.ms >= 250, `closed without an alert after ${reply.ms} ms`);
    }
  }
  t.log(outcomes);
  t.is(outcomes['still open'] ?? 0, 0);
  // Still serving: node:tls completes a handshake.
  const client = tls.connect({ host: LOOPBACK, port: running.port, servername: 'localhost',
    ca: demo('ca.pem'), cert: demo('client-ecdsa.pem'), key: demo('client-ecdsa-key.pem') });
  t.teardown(() => client.destroy());
  await new Promise<void>((resolve, reject) => {
    client.once('secureConnect', resolve);
    client.once('error', reject);
  });
  t.is(client.getProtocol(), 'TLSv1.3');
});

const x25519 = () => ({ group: NamedGroup.x25519,
  keyExchange: generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' })
    .subarray(-32) });
const first = () => clientHello({ shares: [] });
/** After a HelloRetryRequest: our alert arrives in a plaintext record (no keys yet). */
const retryCases: Array<[string, () => Buffer, number]> = [
  ['a good second ClientHello', () => clientHello({ shares: [x25519()] }), -1],
  ['a second ClientHello with another random',
    () => clientHello({ shares: [x25519()], random: Buffer.alloc(32, 0x33) }), A.illegal_parameter],
  ['a second ClientHello with another session id',
    () => clientHello({ shares: [x25519()], sessionId: Buffer.alloc(32, 0x44) }),
    A.illegal_parameter],
  ['a second ClientHello still without a key share', () => clientHello({ shares: [] }),
    A.illegal_parameter],
  ['a second ClientHello with a share for the other group', () => clientHello({ shares: [{
    group: NamedGroup.secp256r1,
    keyExchange: Buffer.concat([Buffer.of(4), Buffer.alloc(64, 1)]) }] }), A.illegal_parameter],
  ['a second ClientHello with two shares',
    () => clientHello({ shares: [x25519(), { group: NamedGroup.secp256r1,
      keyExchange: Buffer.concat([Buffer.of(4), Buffer.alloc(64, 1)]) }] }), A.illegal_parameter],
  ['a second ClientHello with an invalid x25519 share',
    () => clientHello({ shares: [{ group: NamedGroup.x25519, keyExchange: Buffer.alloc(5, 9) }] }),
    A.illegal_parameter],
];

for (const [what, second, alert] of retryCases) {
  test(`server: HelloRetryRequest, then ${what}: ${alert < 0 ? 'ServerHello' : `alert ${alert}`}`,
    async (t) => {
      const running = await startServer(t);
      const reply = await exchange(running.port,
        [handshake(first()), record(T.change_cipher_spec, Buffer.of(1)), handshake(second())],
        { gapMs: 50, until: (d) => records(d).length >= 4 });
      const recs = records(reply.data);
      t.is(recs[0].type, T.handshake);
      t.is(recs[0].fragment[0], 2, 'HelloRetryRequest');
      if (alert < 0) {
        t.true(recs.some((r, i) => i > 0 && r.type === T.handshake && r.fragment[0] === 2));
      } else {
        t.true(reply.closed);
        t.deepEqual(plaintextAlerts(reply.data), [alert]);
      }
    });
}

test('server: 60 half-open connections that never finish are all freed by handshakeTimeout',
  async (t) => {
    const running = await startServer(t, { handshakeTimeout: 600 });
    const sockets: net.Socket[] = [];
    const closed: Array<Promise<number>> = [];
    const start = Date.now();
    for (let i = 0; i < 60; i++) {
      const socket = net.connect({ host: LOOPBACK, port: running.port });
      socket.on('error', () => undefined);
      sockets.push(socket);
      closed.push(new Promise((resolve) => socket.once('close', () => resolve(Date.now() - start))));
      // Nothing, a record header, or half a ClientHello.
      const hello = handshake(clientHello());
      socket.write([Buffer.alloc(0), hello.subarray(0, 3), hello.subarray(0, 60)][i % 3]);
    }
    t.teardown(() => sockets.forEach((s) => s.destroy()));
    const times = await Promise.race([Promise.all(closed),
      new Promise<number[]>((resolve) => setTimeout(() => resolve([]), 5000))]);
    t.is(times.length, 60, 'every connection closed by the server');
    t.true(Math.max(...times) < 3000, `last closed after ${Math.max(...times)} ms`);
    await new Promise((r) => setTimeout(r, 100));
    t.is(running.open(), 0);
    t.true(running.errors.every((e) => e.code === 'ERR_TLS13_HANDSHAKE_TIMEOUT'));
  });
