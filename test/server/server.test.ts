// createServer over transports that are not TCP: a pair of in-memory Duplex streams fed to
// server.emit('connection'), delivering bytes one at a time or in random splits, with and
// without a client certificate.

import { Duplex } from 'node:stream';
import test from 'ava';
import {
  connect, createServer, type ServerOptions, type TlsSocket, type TraceRecord,
} from '../../lib/index';
import { MAX_CLIENT_CHAIN_LENGTH } from '../../lib/handshake/server';
import { LOOPBACK, readCert, startTestServer } from './helpers';

type Split = (length: number) => number;

/** Two connected Duplex ends; bytes written to one arrive at the other in pieces of `split`. */
function duplexPair(split: Split): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (index: number): Duplex => new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      const other = ends[1 - index];
      for (let at = 0; at < chunk.length;) {
        const n = Math.max(1, Math.min(split(chunk.length - at), chunk.length - at));
        const piece = chunk.subarray(at, at + n);
        setImmediate(() => other.push(piece));
        at += n;
      }
      callback();
    },
    final(callback) {
      setImmediate(() => ends[1 - index].push(null));
      callback();
    },
  });
  ends.push(make(0), make(1));
  return [ends[0], ends[1]];
}

async function roundTrip(split: Split, serverOptions: Partial<ServerOptions>,
  clientOptions: Record<string, unknown>): Promise<{ server: TlsSocket; reply: string }> {
  const server = createServer({
    cert: readCert('server.pem'), key: readCert('server-key.pem'), ...serverOptions,
  });
  const secure = new Promise<TlsSocket>((resolve, reject) => {
    server.once('secureConnection', resolve);
    server.once('tlsClientError', reject);
  });
  server.on('secureConnection', (socket: TlsSocket) => {
    socket.on('data', (data: Buffer) => socket.end(`echo:${data.toString()}`));
  });
  const [serverEnd, clientEnd] = duplexPair(split);
  server.emit('connection', serverEnd);
  const client = connect({
    socket: clientEnd, host: 'localhost', ca: readCert('ca.pem'), ...clientOptions,
  });
  const reply = await new Promise<string>((resolve, reject) => {
    let got = '';
    client.on('secureConnect', () => client.write('ping'));
    client.on('data', (data: Buffer) => {
      got += data.toString();
    });
    client.on('end', () => resolve(got));
    client.on('error', reject);
  });
  client.destroy();
  return { server: await secure, reply };
}

const splits: Array<[string, Split]> = [
  ['one byte at a time', () => 1],
  ['random splits', (left) => 1 + Math.floor(Math.random() * Math.min(left, 700))],
];

for (const [name, split] of splits) {
  test(`a handshake and data delivered ${name}`, async (t) => {
    const { server, reply } = await roundTrip(split, {}, {});
    t.is(reply, 'echo:ping');
    t.is(server.getProtocol(), 'TLSv1.3');
    t.is(server.remoteAddress, undefined);
  });

  test(`a client certificate delivered ${name}`, async (t) => {
    const { server, reply } = await roundTrip(split, { requestCert: true, ca: readCert('ca.pem') },
      { cert: readCert('client-ed25519.pem'), key: readCert('client-ed25519-key.pem') });
    t.is(reply, 'echo:ping');
    t.true(server.authorized);
    const subject = server.getPeerCertificate().subject as Record<string, string>;
    t.is(subject.CN, 'tls13 Demo Client (Ed25519)');
  });
}

const ASK_ONLY: Partial<ServerOptions> = {
  requestCert: true, rejectUnauthorized: false, ca: readCert('ca.pem'),
};

test('requestCert without rejectUnauthorized: no certificate, not authorized', async (t) => {
  const { server, reply } = await roundTrip(() => 4096, ASK_ONLY, {});
  t.is(reply, 'echo:ping');
  t.false(server.authorized);
  t.is(typeof server.authorizationError, 'string');
  t.deepEqual(server.getPeerCertificate(), {});
});

test('requestCert without rejectUnauthorized: an expired certificate and its error', async (t) => {
  const { server, reply } = await roundTrip(() => 4096, ASK_ONLY, {
    cert: readCert('expired-client.pem'), key: readCert('expired-client-key.pem'),
  });
  t.is(reply, 'echo:ping');
  t.false(server.authorized);
  t.is(server.authorizationError, 'CERT_HAS_EXPIRED');
  t.truthy((server.getPeerCertificate().subject as Record<string, string>).CN);
});

test('a client chain longer than MAX_CLIENT_CHAIN_LENGTH is refused with bad_certificate', async (t) => {
  const served = await startTestServer(t, { requestCert: true, ca: readCert('ca.pem') });
  const leaf = readCert('client-ecdsa.pem');
  const chain = Array<Buffer>(MAX_CLIENT_CHAIN_LENGTH + 1).fill(leaf);
  const refused = served.nextClientError();
  const socket = connect({
    host: LOOPBACK, port: served.port, servername: 'localhost', ca: readCert('ca.pem'),
    cert: chain, key: readCert('client-ecdsa-key.pem'),
  });
  const clientError = new Promise<Error & { code?: string }>((resolve) =>
    socket.once('error', resolve));
  const error = (await refused) as Error & { code?: string };
  t.is(error.code, 'ERR_TLS13_BAD_CERTIFICATE');
  t.regex(error.message, new RegExp(`over the limit of ${MAX_CLIENT_CHAIN_LENGTH}`));
  t.is((await clientError).code, 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE');
});

// A server that answers and ends at once, inside secureConnection: its tickets were traced as
// sent but fell behind its close_notify. They now go before the application hears of the
// connection, and the client receives what the trace says was sent.
test('end() inside secureConnection: the tickets still reach the client first', async (t) => {
  const server = createServer({ cert: readCert('server.pem'), key: readCert('server-key.pem'),
    ticketCount: 2 }, (socket) => socket.end('bye'));
  const traced: string[] = [];
  server.on('trace', (r: TraceRecord) => {
    if (r.kind === 'message' && r.direction === 'sent') traced.push(r.message);
    if (r.kind === 'alert' && r.direction === 'sent') traced.push(r.alert);
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const client = connect({ host: LOOPBACK, port, servername: 'localhost', ca: readCert('ca.pem') });
  let tickets = 0;
  client.on('ticket', () => tickets++);
  let data = '';
  client.on('data', (d: Buffer) => (data += String(d)));
  await new Promise<void>((resolve, reject) => {
    client.once('end', resolve);
    client.once('error', reject);
  });
  client.destroy();
  t.deepEqual(traced.slice(-3), ['NewSessionTicket', 'NewSessionTicket', 'close_notify']);
  t.is(tickets, 2, 'every ticket the trace shows as sent arrived');
  t.is(data, 'bye');
});
