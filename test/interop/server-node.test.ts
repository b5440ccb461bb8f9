// Node's tls.connect and our own connect() against our server on 127.0.0.1, with and without a
// client certificate, and our server fed a transport through emit('connection').

import { once } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import test from 'ava';
import { connect, type ConnectOptions, type ServerOptions, type TlsSocket } from '../../lib/index';
import { LOOPBACK, readCert, startTestServer } from '../server/helpers';

const REQUIRE_CERT: Partial<ServerOptions> = { requestCert: true, ca: readCert('ca.pem') };

/** Writes a line and resolves with what comes back. */
async function echo(socket: NodeJS.ReadWriteStream, line: string): Promise<string> {
  socket.write(line);
  let got = '';
  while (!got.includes(line)) {
    const [chunk] = (await once(socket as NodeJS.EventEmitter, 'data')) as [Buffer];
    got += chunk.toString('latin1');
  }
  return got;
}

function commonName(certificate: Record<string, unknown> | undefined): string | undefined {
  return (certificate?.subject as Record<string, string> | undefined)?.CN;
}

async function nextError(emitter: NodeJS.EventEmitter): Promise<Error & { code?: string }> {
  const [error] = (await once(emitter, 'error').catch((e: unknown) => [e])) as [Error];
  return error;
}

function nodeClient(port: number, options: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  const socket = tls.connect({
    host: LOOPBACK, port, servername: 'localhost', ca: readCert('ca.pem'), minVersion: 'TLSv1.3',
    ...options,
  });
  return new Promise((resolve, reject) => {
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

test('node tls.connect without a client certificate', async (t) => {
  const { port, nextSecure } = await startTestServer(t);
  const secure = nextSecure();
  const client = await nodeClient(port);
  t.teardown(() => client.destroy());
  t.true(client.authorized);
  t.is(client.getProtocol(), 'TLSv1.3');
  t.is(await echo(client, 'from node'), 'echo:from node');
  const socket = await secure;
  t.false(socket.authorized);
  t.is(socket.remoteAddress, LOOPBACK);
  t.is(socket.remotePort, client.localPort);
});

test('node tls.connect with a client certificate', async (t) => {
  const { port, nextSecure } = await startTestServer(t, REQUIRE_CERT);
  const secure = nextSecure();
  const client = await nodeClient(port, {
    cert: readCert('client-ecdsa.pem'), key: readCert('client-ecdsa-key.pem'),
  });
  t.teardown(() => client.destroy());
  t.is(await echo(client, 'with a certificate'), 'echo:with a certificate');
  const socket = await secure;
  t.true(socket.authorized);
  t.is(commonName(socket.getPeerCertificate()), 'tls13 Demo Client (ECDSA)');
  t.is(commonName(socket.getPeerCertificate(true).issuerCertificate), 'tls13 Demo Intermediate CA');
});

test('node tls.connect without the certificate required: certificate_required', async (t) => {
  const { port, nextClientError } = await startTestServer(t, REQUIRE_CERT);
  const refused = nextClientError();
  const client = await nodeClient(port);
  t.teardown(() => client.destroy());
  client.write('anyone there?');
  t.is((await nextError(client)).code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  t.is((await refused).code, 'ERR_TLS13_CERTIFICATE_REQUIRED');
});

function ourClient(port: number, options: ConnectOptions = {}): Promise<TlsSocket> {
  const socket = connect({ host: LOOPBACK, port, ca: readCert('ca.pem'), ...options });
  return new Promise((resolve, reject) => {
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

test('our connect() without a client certificate', async (t) => {
  const { port, nextSecure } = await startTestServer(t, { ALPNProtocols: ['h2', 'http/1.1'] });
  const secure = nextSecure();
  const client = await ourClient(port, { servername: 'localhost', ALPNProtocols: ['http/1.1'] });
  t.teardown(() => client.destroy());
  t.true(client.authorized);
  t.is(client.alpnProtocol, 'http/1.1');
  t.is(await echo(client, 'from tls13'), 'echo:from tls13');
  const socket = await secure;
  t.is(socket.alpnProtocol, 'http/1.1');
  t.is(socket.servername, 'localhost');
  t.false(socket.authorized);
});

test('our connect() with a client certificate', async (t) => {
  const { port, nextSecure } = await startTestServer(t, REQUIRE_CERT);
  const secure = nextSecure();
  const client = await ourClient(port, {
    cert: readCert('client-rsa.pem'), key: readCert('client-rsa-key.pem'),
  });
  t.teardown(() => client.destroy());
  t.is(await echo(client, 'rsa'), 'echo:rsa');
  const socket = await secure;
  t.true(socket.authorized);
  t.is(commonName(socket.getPeerCertificate()), 'tls13 Demo Client (RSA)');
  t.regex(socket.signatureSchemes.peer ?? '', /^rsa_pss_/);
});

test('our connect() without the certificate required: certificate_required', async (t) => {
  const { port, nextClientError } = await startTestServer(t, REQUIRE_CERT);
  const refused = nextClientError();
  const client = connect({ host: LOOPBACK, port, ca: readCert('ca.pem') });
  t.teardown(() => client.destroy());
  client.on('data', () => undefined);
  t.is((await nextError(client)).code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  t.is((await refused).code, 'ERR_TLS13_CERTIFICATE_REQUIRED');
});

test("our server fed a transport through emit('connection')", async (t) => {
  const { server, nextSecure } = await startTestServer(t);
  const relay = net.createServer((transport) => server.emit('connection', transport));
  await new Promise<void>((resolve) => relay.listen(0, LOOPBACK, resolve));
  t.teardown(() => relay.close());
  const secure = nextSecure();
  const client = await nodeClient((relay.address() as net.AddressInfo).port);
  t.teardown(() => client.destroy());
  t.is(await echo(client, 'relayed'), 'echo:relayed');
  t.is((await secure).getProtocol(), 'TLSv1.3');
});
