// The client socket as a stream against Node's TLS server on 127.0.0.1: backpressure both
// ways, the key log, and the ways a connection can end before or during the handshake.

import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type * as tls from 'node:tls';
import { connect, type ConnectOptions } from '../../lib/connect';
import type { TlsSocket } from '../../lib/socket';
import { failure } from '../helpers/client';
import { LOOPBACK, freePort, startNodeTlsServer } from '../helpers/peers';
import { SERVER_NAME, demo } from '../helpers/pki';

const SERVER: tls.TlsOptions = { cert: demo('server.pem'), key: demo('server-key.pem') };

function ours(port: number, extra: ConnectOptions = {}): TlsSocket {
  return connect({ host: LOOPBACK, port, servername: SERVER_NAME, ca: demo('ca.pem'), ...extra });
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function pattern(size: number, seed: number): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + seed + (i >> 10)) & 0xff;
  return data;
}

test('8 MiB to a server that reads late: every write completes, every byte arrives', async (t) => {
  const size = 8 * 1024 * 1024;
  const payload = pattern(size, 3);
  let received: Promise<Buffer> | undefined;
  const peer = await startNodeTlsServer(t, SERVER, (socket) => {
    socket.pause();
    received = new Promise((resolve) => {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.once('end', () => resolve(Buffer.concat(chunks)));
    });
    setTimeout(() => socket.resume(), 300);
  });
  const socket = ours(peer.port);
  t.teardown(() => socket.destroy());
  await new Promise((resolve) => socket.once('secureConnect', resolve));
  let sawBackpressure = false;
  for (let at = 0; at < size; at += 64 * 1024) {
    if (!socket.write(payload.subarray(at, at + 64 * 1024))) sawBackpressure = true;
  }
  const finished = new Promise((resolve) => socket.once('finish', resolve));
  socket.end();
  await finished;
  t.true(sawBackpressure, 'write() returned false while the server did not read');
  const got = await (received as Promise<Buffer>);
  t.is(got.length, size);
  t.is(sha256(got), sha256(payload));
});

test('8 MiB from the server while we do not read: nothing lost once we do', async (t) => {
  const size = 8 * 1024 * 1024;
  const payload = pattern(size, 11);
  const peer = await startNodeTlsServer(t, SERVER, (socket) => socket.end(payload));
  const socket = ours(peer.port);
  t.teardown(() => socket.destroy());
  await new Promise((resolve) => socket.once('secureConnect', resolve));
  socket.pause();
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.true(socket.readableLength > 0 && socket.readableLength < size,
    `held ${socket.readableLength} bytes: the transport was paused, not drained into memory`);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.resume();
  await new Promise((resolve) => socket.once('end', resolve));
  const got = Buffer.concat(chunks);
  t.is(got.length, size);
  t.is(sha256(got), sha256(payload));
});

test('key log: the same five NSS lines as the server, and the file has mode 0600', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tls13-keylog-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'keys.log');
  const serverLines: string[] = [];
  const peer = await startNodeTlsServer(t, SERVER);
  peer.server.on('keylog', (line: Buffer) => serverLines.push(line.toString().trim()));
  const socket = ours(peer.port, { keylog: file });
  const events: string[] = [];
  socket.on('keylog', (line: Buffer) => events.push(line.toString().trim()));
  await new Promise((resolve) => socket.once('secureConnect', resolve));
  await new Promise((resolve) => setTimeout(resolve, 100));
  socket.destroy();

  const labels = events.map((line) => line.split(' ')[0]).sort();
  t.deepEqual(labels, [
    'CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'EXPORTER_SECRET',
    'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0',
  ]);
  t.deepEqual([...events].sort(), [...serverLines].sort(), 'the server derived the same secrets');
  t.deepEqual(readFileSync(file, 'latin1').trim().split('\n'), events);
  t.is(statSync(file).mode & 0o777, 0o600);
});

test('nothing listening: ECONNREFUSED, then close(hadError)', async (t) => {
  const port = await freePort();
  const socket = ours(port);
  const { error, hadError } = await failure(socket);
  t.is(error.code, 'ECONNREFUSED');
  t.true(hadError);
});

test('the server drops the connection mid-handshake: ECONNRESET, close(hadError)', async (t) => {
  const server = net.createServer((socket) => socket.once('data', () => socket.destroy()));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const socket = ours((server.address() as net.AddressInfo).port);
  const { error, hadError } = await failure(socket);
  t.is(error.code, 'ECONNRESET');
  t.true(hadError);
  t.is(socket.getProtocol(), null);
});

test('destroy() during the handshake: close without error, the transport gone', async (t) => {
  const peer = await startNodeTlsServer(t, SERVER);
  const socket = ours(peer.port);
  let errored = false;
  socket.on('error', () => {
    errored = true;
  });
  socket.once('connect', () => socket.destroy());
  t.false(await new Promise<boolean>((resolve) => socket.once('close', resolve)));
  t.false(errored);
  t.false(socket.authorized);
  t.is(socket.getCipher(), undefined);
});
