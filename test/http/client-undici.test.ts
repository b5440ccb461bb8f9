// undici over our client: an Agent whose `connect` returns a tls13 socket, against Node's https
// server requiring a client certificate.

import test from 'ava';
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import * as tls from 'node:tls';
import { Agent, request } from 'undici';
import { tls13Agent, undiciGet } from '../../examples/undici-get';

const certs = (name: string): Buffer => readFileSync(path.join(__dirname, '..', '..', 'certs', name));

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
