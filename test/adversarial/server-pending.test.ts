// What our server holds while a handshake waits on the application (here an SNICallback that
// takes its time). Engine#wait (lib/engine.ts) stops processing records until the callback
// answers while the transport keeps being read; the Deframer must not grow without bound in
// the meantime. (A bound, MAX_BUFFERED_WHILE_WAITING, ends such a connection with an alert.)

import * as net from 'node:net';
import test from 'ava';
import { ContentType as T } from '../../lib/protocol/registry';
import { LOOPBACK, clientHello, handshake, record, startServer } from './raw';

const FLOOD = 8 * 1024 * 1024;
/** The bound, the kernel buffers and a chunk or two. */
const HELD_LIMIT = 3 * 1024 * 1024;

test('server: 8 MB of records while the SNICallback is pending: refused before it is all read',
  async (t) => {
    let transport: net.Socket | undefined;
    const running = await startServer(t, {
      handshakeTimeout: 5000,
      SNICallback: (_name, callback) => setTimeout(() => callback(null), 3000).unref(),
    });
    running.server.on('connection', (socket: net.Socket) => { transport = socket; });
    const client = net.connect({ host: LOOPBACK, port: running.port });
    client.on('error', () => undefined);
    t.teardown(() => client.destroy());
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.write(handshake(clientHello()));
    const chunk = Buffer.concat(Array.from({ length: 64 }, () =>
      record(T.application_data, Buffer.alloc(16000, 7))));
    let sent = 0;
    const deadline = Date.now() + 2500;
    while (sent < FLOOD && Date.now() < deadline && !client.destroyed) {
      if (!client.write(chunk)) {
        await Promise.race([new Promise((r) => client.once('drain', r)), closed,
          new Promise((r) => setTimeout(r, 200))]);
      }
      sent += chunk.length;
    }
    await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
    const read = transport?.bytesRead ?? 0;
    t.log(`client wrote ${sent} bytes; the server read ${read}; errors:`,
      running.errors.map((e) => e.code));
    t.true(read < HELD_LIMIT, `${read} bytes read while the handshake waits`);
    t.true(client.destroyed || running.errors.length > 0, 'the server ended the connection');
  });
