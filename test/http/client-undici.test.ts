// undici over our client: an Agent whose `connect` returns a tls13 socket, against Node's https
// server requiring a client certificate.

import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import * as tls from 'node:tls';
import { Agent, request } from 'undici';
import { tls13Agent, undiciGet } from '../../examples/undici-get';

const ROOT = path.resolve(__dirname, '..', '..');
const certs = (name: string): Buffer => readFileSync(path.join(ROOT, 'certs', name));

interface Served {
  port: number;
  /** TLS connections the server accepted so far. */
  connections: () => number;
}

async function startServer(t: import('ava').ExecutionContext): Promise<Served> {
  const server = https.createServer({
    cert: certs('server.pem'), key: certs('server-key.pem'), ca: certs('ca.pem'),
    requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3',
  }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    res.end(`${req.url} for ${peer.subject?.CN}`);
  });
  let connections = 0;
  server.on('secureConnection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

const identity = {
  ca: certs('ca.pem'), cert: certs('client-ecdsa.pem'), key: certs('client-ecdsa-key.pem'),
};

test('undici request through a tls13 socket, with a client certificate', async (t) => {
  const { port } = await startServer(t);
  const result = await undiciGet(`https://localhost:${port}/one`, identity);
  t.is(result.status, 200);
  t.is(result.body, '/one for tls13 Demo Client (ECDSA)');
});

// undici decides when to open another connection; ours must be used exactly as node:tls's is.
test('undici reuses tls13 connections exactly as it reuses node:tls ones', async (t) => {
  const paths = ['/a', '/b', '/c'];
  const run = async (agent: Agent): Promise<{ bodies: string[]; connections: number }> => {
    const { port, connections } = await startServer(t);
    t.teardown(() => agent.close());
    const bodies: string[] = [];
    for (const p of paths) {
      const response = await request(`https://localhost:${port}${p}`, { dispatcher: agent });
      bodies.push(await response.body.text());
    }
    return { bodies, connections: connections() };
  };
  const ours = await run(tls13Agent(identity));
  const node = await run(new Agent({
    connect: (options, callback) => {
      const socket = tls.connect({
        ...identity, host: options.hostname, port: Number(options.port), servername: 'localhost',
      });
      socket.once('secureConnect', () => callback(null, socket));
      socket.once('error', (error) => callback(error, null));
    },
  }));
  t.deepEqual(ours.bodies, paths.map((p) => `${p} for tls13 Demo Client (ECDSA)`));
  t.deepEqual(ours.bodies, node.bodies);
  t.is(ours.connections, node.connections);
  t.true(ours.connections < paths.length, `${ours.connections} connections for 3 requests`);
});

test('undici reports the server refusing a client without a certificate', async (t) => {
  const { port } = await startServer(t);
  const error = await t.throwsAsync(undiciGet(`https://localhost:${port}/`, { ca: identity.ca }));
  t.is((error as Error & { code?: string }).code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
});

// The command, as the README shows it, with the key log a packet analyser would read.
test('the undici-get command honours SSLKEYLOGFILE', async (t) => {
  const { port } = await startServer(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'tls13-undici-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const keylog = path.join(dir, 'keys.log');
  const file = (name: string): string => path.join(ROOT, 'certs', name);
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only',
    path.join('examples', 'undici-get.ts'), `https://127.0.0.1:${port}/logged`,
    '--cert', file('client-ecdsa.pem'), '--key', file('client-ecdsa-key.pem'),
    '--ca', file('ca.pem')],
  { cwd: ROOT, env: { ...process.env, SSLKEYLOGFILE: keylog }, timeout: 30_000 });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const status = await new Promise((resolve) => child.once('close', resolve));
  t.is(status, 0, output);
  t.regex(output, /^HTTP 200\n\n\/logged for tls13 Demo Client \(ECDSA\)/);
  const labels = readFileSync(keylog, 'latin1').trim().split('\n').map((l) => l.split(' ')[0]);
  t.deepEqual(labels.sort(), [
    'CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'EXPORTER_SECRET',
    'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0',
  ]);
});

test('the undici agent reports a key log that cannot be opened as the request error', async (t) => {
  const { port } = await startServer(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'tls13-undici-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const error = await t.throwsAsync(undiciGet(`https://localhost:${port}/`, {
    ...identity, keylog: path.join(dir, 'missing', 'keys.log'),
  }));
  t.is((error as Error & { code?: string }).code, 'ERR_TLS13_INVALID_KEYLOG');
});
