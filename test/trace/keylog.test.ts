// The `keylog` option: a file that cannot be opened is refused by connect() and createServer()
// before any byte is sent; a write that fails later is a warning, never a failed handshake.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { connect, type ConnectOptions } from '../../lib/connect';
import { TlsConfigError } from '../../lib/errors';
import { createServer, type ServerOptions } from '../../lib/server';
import type { TlsSocket } from '../../lib/socket';
import { LOOPBACK } from '../helpers/peers';
import { SERVER_NAME, demo } from '../helpers/pki';

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tls13-keylog-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function listening(t: ExecutionContext, extra: Partial<ServerOptions> = {}) {
  const server = createServer({ cert: demo('server.pem'), key: demo('server-key.pem'), ...extra });
  server.on('secureConnection', (socket: TlsSocket) => socket.end('hello'));
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { server, port: (server.address() as AddressInfo).port };
}

function handshake(port: number, extra: ConnectOptions = {}): Promise<TlsSocket> {
  const socket = connect({
    host: LOOPBACK,
    port,
    servername: SERVER_NAME,
    ca: demo('ca.pem'),
    ...extra,
  });
  return new Promise((resolve, reject) => {
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

test('connect() with a key log in a missing folder throws at once, naming the option', (t) => {
  const file = path.join(tempDir(t), 'missing', 'keys.log');
  const error = t.throws(() => connect({ host: LOOPBACK, port: 9, keylog: file }), {
    instanceOf: TlsConfigError,
  });
  t.is(error?.code, 'ERR_TLS13_INVALID_KEYLOG');
  t.is(error?.message, `keylog: cannot open ${file} for appending (ENOENT)`);
});

test('createServer() with a key log that is a folder throws at once, naming the option', (t) => {
  const dir = tempDir(t);
  const error = t.throws(
    () => createServer({ cert: demo('server.pem'), key: demo('server-key.pem'), keylog: dir }),
    { instanceOf: TlsConfigError },
  );
  t.is(error?.code, 'ERR_TLS13_INVALID_KEYLOG');
  t.regex(error?.message ?? '', /^keylog: cannot open .* for appending \(EISDIR\)$/);
});

test('a key log that is not a file name is refused by name', (t) => {
  const error = t.throws(
    () => connect({ host: LOOPBACK, port: 9, keylog: true as unknown as string }),
    { instanceOf: TlsConfigError },
  );
  t.is(error?.code, 'ERR_TLS13_INVALID_KEYLOG');
  t.is(error?.message, 'keylog must be a file name, not true');
});

test('the key log file is created with mode 0600 when the option is read', (t) => {
  const file = path.join(tempDir(t), 'keys.log');
  createServer({ cert: demo('server.pem'), key: demo('server-key.pem'), keylog: file });
  t.is(statSync(file).mode & 0o777, 0o600);
  t.is(statSync(file).size, 0);
});

test('server key log: the five lines of each handshake go to the file', async (t) => {
  const file = path.join(tempDir(t), 'server.log');
  const { port } = await listening(t, { keylog: file });
  const socket = await handshake(port);
  socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const labels = readFileSync(file, 'latin1')
    .trim()
    .split('\n')
    .map((line) => line.split(' ')[0]);
  t.is(labels.length, 5);
  t.true(labels.includes('CLIENT_HANDSHAKE_TRAFFIC_SECRET'));
  t.true(labels.includes('EXPORTER_SECRET'));
});

// The file's folder goes away after the option was read, as when a disk is unmounted: the
// handshakes still complete, and one warning says the lines are lost.
test('a key log that can no longer be written: handshakes go on, one warning', async (t) => {
  const dir = tempDir(t);
  const gone = path.join(dir, 'gone');
  mkdirSync(gone);
  const file = path.join(gone, 'client.log');
  const { port } = await listening(t);
  const warnings: Error[] = [];
  const onWarning = (warning: Error & { code?: string }): void => {
    if (warning.code === 'ERR_TLS13_KEYLOG_WRITE') warnings.push(warning);
  };
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));

  const first = connect({ host: LOOPBACK, port, servername: SERVER_NAME, ca: demo('ca.pem'),
    keylog: file });
  const second = connect({ host: LOOPBACK, port, servername: SERVER_NAME, ca: demo('ca.pem'),
    keylog: file });
  rmSync(gone, { recursive: true, force: true });
  for (const socket of [first, second]) {
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    t.is(socket.getProtocol(), 'TLSv1.3');
    socket.destroy();
  }
  await new Promise((resolve) => setImmediate(resolve));
  t.is(warnings.length, 1);
  t.is(warnings[0].message, `keylog: cannot append to ${file} (ENOENT); the connection goes on`);
});
