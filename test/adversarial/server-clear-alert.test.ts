// A client may send an alert about the server's flight in the clear, before it takes up its
// handshake keys (RFC 8446, Appendix A.1), and our server reads it; once the client's Finished
// has arrived, an alert in the clear is unexpected_message.

import test from 'ava';
import { connect, createServer, type TlsSocket } from '../../lib/index';
import { AlertDescription as A, ContentType as T } from '../../lib/protocol/registry';
import { demo } from '../helpers/pki';
import { clientHello, exchange, handshake, plaintextAlerts, record, startServer } from './raw';
import { transportPair } from './pair';

const CLEAR_BAD_CERTIFICATE = record(T.alert, Buffer.of(2, A.bad_certificate));

test('server: an alert in the clear after our flight is read and reported', async (t) => {
  const running = await startServer(t);
  const reply = await exchange(running.port, [handshake(clientHello()), CLEAR_BAD_CERTIFICATE],
    { gapMs: 200 });
  t.true(reply.closed);
  t.deepEqual(plaintextAlerts(reply.data), [], 'the server answers a fatal alert with none');
  t.deepEqual(running.errors.map((e) => e.code), ['ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE']);
});

test('server: an alert in the clear after the handshake is unexpected_message', async (t) => {
  const server = createServer({ cert: demo('server.pem'), key: demo('server-key.pem'),
    ca: demo('ca.pem'), requestCert: true });
  const secure = new Promise<TlsSocket>((resolve) => server.once('secureConnection', resolve));
  const pair = transportPair();
  server.emit('connection', pair.server);
  const client = connect({ socket: pair.client, servername: 'localhost', ca: demo('ca.pem'),
    cert: demo('client-ecdsa.pem'), key: demo('client-ecdsa-key.pem') });
  client.on('error', () => undefined);
  const socket = await secure;
  t.true(socket.authorized);
  const failed = new Promise<Error & { code?: string }>((resolve) => socket.once('error', resolve));
  pair.server.push(CLEAR_BAD_CERTIFICATE);
  const error = await failed;
  t.deepEqual([error.code, error.message],
    ['ERR_TLS13_UNEXPECTED_MESSAGE', 'peer sent an unprotected alert record after keys were set']);
  client.destroy();
});
