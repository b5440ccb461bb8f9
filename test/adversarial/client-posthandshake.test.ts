// Our client after the handshake, against a server that floods post-handshake messages: three
// thousand NewSessionTickets (the server's ticketCount) must leave only a few kept on the socket,
// and the connection must still carry data.

import test from 'ava';
import { connect, createServer, type TlsSocket } from '../../lib/index';
import { demo } from '../helpers/pki';
import { settle, transportPair } from './pair';

test('client: 3000 NewSessionTickets: each reported, a bounded few kept, data still flows',
  async (t) => {
    const pair = transportPair();
    const server = createServer({ cert: demo('server.pem'), key: demo('server-key.pem'),
      ticketCount: 3000 });
    const serverSecure = new Promise<TlsSocket>((resolve) => server.once('secureConnection', resolve));
    server.emit('connection', pair.server);
    const client = connect({ socket: pair.client, servername: 'localhost', ca: demo('ca.pem') });
    let reported = 0;
    client.on('ticket', () => reported++);
    await new Promise<void>((resolve, reject) => {
      client.once('secureConnect', resolve);
      client.once('error', reject);
    });
    const serverSocket = await serverSecure;
    serverSocket.on('data', (d: Buffer) => serverSocket.write(d));
    const echoed = new Promise<string>((resolve) => client.once('data', (d: Buffer) => resolve(String(d))));
    client.write('after the tickets');
    t.is(await echoed, 'after the tickets');
    await settle();
    t.is(reported, 3000);
    t.true(client.tickets.length <= 16, `${client.tickets.length} tickets kept`);
    client.destroy();
    serverSocket.destroy();
  });
