// A peer that does not speak TLS at all is refused from its first five bytes, with a code that
// says so, instead of waiting for a "record" as long as those bytes happen to claim.

import test from 'ava';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from '../../lib/index';
import { demo } from '../helpers/pki';

const LOOPBACK = '127.0.0.1';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, LOOPBACK, () => resolve((server.address() as AddressInfo).port));
  });
}

for (const [name, banner] of [
  ['an SSH server', 'SSH-2.0-OpenSSH_9.2\r\n'],
  ['a plain HTTP server', 'HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n'],
]) {
  test(`client: ${name} is refused at once as not TLS`, async (t) => {
    const server = net.createServer((socket) => socket.end(banner));
    t.teardown(() => server.close());
    const port = await listen(server);
    const socket = connect({ host: LOOPBACK, port });
    const error = await new Promise<Error & { code?: string }>((resolve) =>
      socket.once('error', resolve));
    t.is(error.code, 'ERR_TLS13_NOT_TLS');
    t.regex(error.message, new RegExp(`first bytes "${banner.slice(0, 5).replace('.', '\\.')}"`));
  });
}

test('server: an HTTP request gets an alert and a tlsClientError at once', async (t) => {
  const server = createServer({ cert: demo('server.pem'), key: demo('server-key.pem') });
  t.teardown(() => server.close());
  const port = await new Promise<number>((resolve) => {
    server.listen(0, LOOPBACK, () => resolve((server.address() as AddressInfo).port));
  });
  const refused = new Promise<Error & { code?: string }>((resolve) =>
    server.once('tlsClientError', resolve));
  const raw = net.connect(port, LOOPBACK, () => raw.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  const chunks: Buffer[] = [];
  raw.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve) => raw.once('close', resolve));
  const error = await refused;
  t.is(error.code, 'ERR_TLS13_NOT_TLS');
  t.regex(error.message, /first bytes "GET \/"/);
  // An unprotected fatal unexpected_message alert: 15 03 03 00 02 02 0a.
  t.is(Buffer.concat(chunks).toString('hex'), '1503030002020a');
});
