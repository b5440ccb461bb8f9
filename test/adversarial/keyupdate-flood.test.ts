// A peer that floods KeyUpdate(update_requested) while never reading what we send.
//
// RFC 8446, Section 4.6.3: the receiver of update_requested "MUST send a KeyUpdate of its own
// ... prior to sending its next Application Data record", which "causes an implementation which
// receives multiple KeyUpdates while it is silent to respond with a single update". The engine
// answers the first request at once and, while it stays silent, folds further requests into
// one answer sent before its next data (Engine#receiveKeyUpdate), so a peer that sends N
// requests and reads nothing makes us queue one answer, not N.

import test from 'ava';
import { connect, createServer, type TlsSocket } from '../../lib/index';
import type { TraceRecord } from '../../lib/trace/trace';
import { demo } from '../helpers/pki';
import { settle, transportPair } from './pair';

const REQUESTS = 4000;
/** Far above one answer, far below one answer per request (about 27 bytes each). */
const QUEUE_LIMIT = 32 * 1024;

async function connectedPair() {
  const pair = transportPair();
  const server = createServer({ cert: demo('server.pem'), key: demo('server-key.pem') });
  const serverTrace: TraceRecord[] = [];
  server.on('trace', (record: TraceRecord) => serverTrace.push(record));
  const serverSecure = new Promise<TlsSocket>((resolve) => server.once('secureConnection', resolve));
  server.emit('connection', pair.server);
  const client = connect({ socket: pair.client, servername: 'localhost', ca: demo('ca.pem') });
  await new Promise<void>((resolve, reject) => {
    client.once('secureConnect', resolve);
    client.once('error', reject);
  });
  const serverSocket = await serverSecure;
  serverSocket.on('error', () => undefined);
  client.on('error', () => undefined);
  await settle();
  return { pair, client, serverSocket, serverTrace };
}

const sentKeyUpdates = (trace: TraceRecord[]) =>
  trace.filter((r) => JSON.stringify(r).includes('KeyUpdate') && JSON.stringify(r).includes('"sent"')).length;

test(
  'server: 4000 KeyUpdate(update_requested) from a client that never reads: bounded queue',
  async (t) => {
    const { pair, client, serverSocket, serverTrace } = await connectedPair();
    pair.stallServerWrites();
    for (let i = 0; i < REQUESTS; i++) client.updateKeys(true);
    await settle(20);
    const queued = pair.server.writableLength;
    t.log(`server answered ${sentKeyUpdates(serverTrace)} KeyUpdates; ${queued} bytes queued`);
    serverSocket.destroy();
    client.destroy();
    // Correct: coalesce the answers (one KeyUpdate while silent) and stop reading while the
    // transport needs drain, so what we hold stays bounded whatever the peer sends.
    t.true(queued < QUEUE_LIMIT, `${queued} bytes queued for a peer that reads nothing`);
  },
);

test('server: KeyUpdate(update_requested) is answered and the connection still carries data',
  async (t) => {
    const { client, serverSocket } = await connectedPair();
    serverSocket.on('data', (d: Buffer) => serverSocket.write(Buffer.concat([Buffer.from('echo:'), d])));
    for (let i = 0; i < 10; i++) client.updateKeys(true);
    const reply = new Promise<string>((resolve) => client.once('data', (d: Buffer) => resolve(d.toString())));
    client.write('ping');
    t.is(await reply, 'echo:ping');
    serverSocket.destroy();
    client.destroy();
  });

test(
  'client: 4000 KeyUpdate(update_requested) from a server that never reads: bounded queue',
  async (t) => {
    const { pair, client, serverSocket } = await connectedPair();
    const clientTrace: TraceRecord[] = [];
    client.on('trace', (record: TraceRecord) => clientTrace.push(record));
    pair.stallClientWrites();
    for (let i = 0; i < REQUESTS; i++) serverSocket.updateKeys(true);
    await settle(20);
    const queued = pair.client.writableLength;
    t.log(`client answered ${sentKeyUpdates(clientTrace)} KeyUpdates; ${queued} bytes queued`);
    serverSocket.destroy();
    client.destroy();
    t.true(queued < QUEUE_LIMIT, `${queued} bytes queued for a peer that reads nothing`);
  },
);
