// Our client against Node's own TLS server (OpenSSL underneath) asking for a client
// certificate: the server sees ours, both ends export the same keying material, and a server
// that requires a certificate we do not have ends our socket with certificate_required.

import test from 'ava';
import { X509Certificate } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { connect } from '../../lib/connect';
import type { TraceRecord } from '../../lib/trace/trace';
import {
  alerts, connectTraced, failure, findMessage, receivedText, secureConnected,
} from '../helpers/client';
import { LOOPBACK, startNodeTlsServer } from '../helpers/peers';
import { badServers, demo, SERVER_NAME } from '../helpers/pki';

const REQUEST_CERT: tls.TlsOptions = {
  cert: demo('server.pem'), key: demo('server-key.pem'), ca: demo('ca.pem'),
  requestCert: true, rejectUnauthorized: true,
};

function commonName(pem: Buffer): string {
  return /^CN=(.*)$/m.exec(new X509Certificate(pem).subject)?.[1] ?? '';
}

test('client certificate: the server sees our subject, and data flows both ways', async (t) => {
  const peer = await startNodeTlsServer(t, REQUEST_CERT, (socket) => {
    socket.once('data', (chunk) => socket.write(`echo ${chunk.toString()}`));
  });
  const seen = peer.nextSecure();
  const client = connectTraced(peer.port, {
    cert: demo('client-ecdsa.pem'), key: demo('client-ecdsa-key.pem'),
  });
  await secureConnected(client.socket);
  const server = await seen;
  t.true(server.authorized);
  t.is(server.getPeerCertificate().subject.CN, commonName(demo('client-ecdsa.pem')));
  t.is(server.getProtocol(), 'TLSv1.3');
  t.is(client.socket.getCipher()?.name, server.getCipher().name);
  t.true(client.socket.authorized);
  client.socket.write('hello');
  t.is(await receivedText(client, 'echo hello'), 'echo hello');
  client.socket.destroy();
});

test('exportKeyingMaterial gives the same bytes on both ends', async (t) => {
  const peer = await startNodeTlsServer(t, REQUEST_CERT);
  const seen = peer.nextSecure();
  const client = connectTraced(peer.port, {
    cert: demo('client-rsa.pem'), key: demo('client-rsa-key.pem'),
  });
  await secureConnected(client.socket);
  const server = await seen;
  const context = Buffer.from('context of the test');
  const ours = client.socket.exportKeyingMaterial(32, 'EXPORTER-test', context);
  t.is(ours.length, 32);
  t.is(ours.toString('hex'),
    server.exportKeyingMaterial(32, 'EXPORTER-test', context).toString('hex'));
  // In TLS 1.3 no context and an empty one are the same (RFC 8446, Section 7.5).
  t.is(client.socket.exportKeyingMaterial(64, 'EXPORTER-other').toString('hex'),
    server.exportKeyingMaterial(64, 'EXPORTER-other', Buffer.alloc(0)).toString('hex'));
  const another = Buffer.from('another');
  const otherContext = client.socket.exportKeyingMaterial(32, 'EXPORTER-test', another);
  t.not(ours.toString('hex'), otherContext.toString('hex'));
  client.socket.destroy();
});

test('no client certificate for a server that requires one: certificate_required', async (t) => {
  const peer = await startNodeTlsServer(t, REQUEST_CERT);
  const serverError = peer.nextClientError();
  const client = connectTraced(peer.port);
  const failed = failure(client.socket);
  let ended = false;
  client.socket.on('end', () => {
    ended = true;
  });
  const writeResult = new Promise<Error | null | undefined>((resolve) => {
    client.socket.once('secureConnect', () => {
      // In TLS 1.3 the client is done before the server has judged its (empty) Certificate.
      client.socket.write('written in secureConnect', (error) => resolve(error));
    });
  });
  const { error, hadError } = await failed;
  t.is(error.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  t.true(hadError);
  t.false(ended, 'the socket must not end quietly');
  const written = await writeResult;
  const writeCode = (written as { code?: string } | null | undefined)?.code;
  t.true(!written || writeCode === error.code, String(written));
  t.is(findMessage(client.trace, 'sent', 'Certificate')?.fields.certificates, '(empty)');
  t.deepEqual(alerts(client.trace), ['received certificate_required']);
  t.regex(String((await serverError).message), /peer did not return a certificate/i);
});

const PLAIN_SERVER: tls.TlsOptions = { cert: demo('server.pem'), key: demo('server-key.pem') };

function readAll(socket: tls.TLSSocket): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks).toString()));
  });
}

test('writes made before the handshake ends are held and sent after it', async (t) => {
  let serverRead: Promise<string> | undefined;
  const peer = await startNodeTlsServer(t, PLAIN_SERVER, (socket) => {
    serverRead = readAll(socket);
  });
  const seen = peer.nextSecure();
  const client = connectTraced(peer.port);
  client.socket.write('first ');
  client.socket.write('second');
  client.socket.end();
  await seen;
  t.is(await serverRead, 'first second');
});

// Node's TLS server closes without close_notify; like node:tls, our client takes the TCP FIN as
// the end of the data, and ends its own side.
test('the server ends: our side ends too (allowHalfOpen false)', async (t) => {
  let serverEnded: Promise<string> | undefined;
  const peer = await startNodeTlsServer(t, PLAIN_SERVER, (socket) => {
    serverEnded = readAll(socket);
    socket.end('bye');
  });
  const client = connectTraced(peer.port);
  const closed = new Promise<boolean>((resolve) => client.socket.once('close', resolve));
  const ended = new Promise((resolve) => client.socket.once('end', resolve));
  await ended;
  t.is(client.received(), 'bye');
  t.false(await closed);
  t.is(await serverEnded, '', 'the server saw our side end');
  t.deepEqual(alerts(client.trace), ['sent close_notify']);
});

test('with allowHalfOpen, we may still write after the server has ended', async (t) => {
  let serverRead: Promise<string> | undefined;
  const peer = await startNodeTlsServer(t, { ...PLAIN_SERVER, allowHalfOpen: true }, (socket) => {
    serverRead = readAll(socket);
    socket.end('bye');
  });
  const client = connectTraced(peer.port, { allowHalfOpen: true });
  const closed = new Promise<boolean>((resolve) => client.socket.once('close', resolve));
  await new Promise((resolve) => client.socket.once('end', resolve));
  t.is(client.received(), 'bye');
  t.false(client.socket.writableEnded);
  // Later than the FIN's own turn of the event loop, so a transport that ends itself would
  // already have done so.
  await new Promise((resolve) => setTimeout(resolve, 50));
  client.socket.end('still here');
  t.is(await serverRead, 'still here');
  t.false(await closed);
});

test('timeout: a quiet connection emits timeout, as net.Socket does', async (t) => {
  const peer = await startNodeTlsServer(t, PLAIN_SERVER);
  const client = connectTraced(peer.port, { timeout: 200 });
  await secureConnected(client.socket);
  const started = Date.now();
  await new Promise((resolve) => client.socket.once('timeout', resolve));
  t.true(Date.now() - started >= 150);
  t.false(client.socket.destroyed, 'timeout only notifies');
  client.socket.destroy();
});

test('a write the transport can no longer carry fails with EPIPE, not silently', async (t) => {
  const peer = await startNodeTlsServer(t, PLAIN_SERVER, (socket) => socket.end('bye'));
  // A transport of the caller's that closes its writing side on the server's FIN.
  const transport = net.connect({ host: LOOPBACK, port: peer.port });
  const client = connectTraced(peer.port, { socket: transport, allowHalfOpen: true });
  client.socket.on('error', () => undefined);
  await new Promise((resolve) => client.socket.once('end', resolve));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.true(transport.writableEnded);
  const error = await new Promise<Error | null | undefined>((resolve) => {
    client.socket.write('lost?', resolve);
  });
  // The transport has closed, so the socket has gone too (as net.Socket does after close);
  // either way the write reports its failure.
  t.true(['EPIPE', 'ERR_STREAM_DESTROYED'].includes(String((error as { code?: string })?.code)),
    String(error));
});

test('a transport that closes under a half-open socket ends it with close', async (t) => {
  const peer = await startNodeTlsServer(t, PLAIN_SERVER, (socket) => socket.end('bye'));
  const transport = net.connect({ host: LOOPBACK, port: peer.port });
  const client = connectTraced(peer.port, { socket: transport, allowHalfOpen: true });
  client.socket.on('error', () => undefined);
  client.socket.resume();
  const hadError = await new Promise((resolve) => client.socket.once('close', resolve));
  t.true(transport.destroyed);
  t.false(hadError);
});

test('timeout: our own writes count as activity, as on net.Socket', async (t) => {
  const peer = await startNodeTlsServer(t, PLAIN_SERVER, (socket) => socket.resume());
  const client = connectTraced(peer.port, { timeout: 300 });
  await secureConnected(client.socket);
  let timedOut = false;
  client.socket.on('timeout', () => {
    timedOut = true;
  });
  for (let i = 0; i < 8; i++) {
    client.socket.write(`tick ${i}\n`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.false(timedOut, 'no timeout while we write every 100 ms');
  await new Promise((resolve) => client.socket.once('timeout', resolve));
  t.pass('and one once we stop');
  client.socket.destroy();
});

for (const address of ['127.0.0.1', '::1']) {
  test(`host ${address}, no servername: no SNI, the IP subjectAltName checked`, async (t) => {
    const seenNames: Array<string | false | null> = [];
    const server = tls.createServer({ ...PLAIN_SERVER, minVersion: 'TLSv1.3' }, (socket) => {
      seenNames.push(socket.servername);
      socket.end('by address');
    });
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await new Promise<void>((resolve) => server.listen(0, address, resolve));
    const { port } = server.address() as net.AddressInfo;
    const socket = connect({ host: address, port, ca: demo('ca.pem') });
    const trace: TraceRecord[] = [];
    socket.on('trace', (record: TraceRecord) => trace.push(record));
    await new Promise((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    t.true(socket.authorized);
    t.is(socket.remoteAddress, address);
    t.is(findMessage(trace, 'sent', 'ClientHello')?.fields.server_name, '(none)');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise((resolve) => socket.once('end', resolve));
    t.is(Buffer.concat(chunks).toString(), 'by address');
    t.deepEqual(seenNames, [false]);
  });
}

test('an address the certificate does not name: ERR_TLS_CERT_ALTNAME_INVALID', async (t) => {
  const identity = badServers().wrongName;
  const peer = await startNodeTlsServer(t, { cert: identity.cert, key: identity.key });
  const socket = connect({ host: LOOPBACK, port: peer.port, ca: badServers().root });
  const { error } = await failure(socket);
  t.is(error.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
});

test('end() without ever reading: end and close still come, as with node:tls', async (t) => {
  const peer = await startNodeTlsServer(t, PLAIN_SERVER, (socket) => {
    socket.on('end', () => socket.end());
    socket.resume();
  });
  const client = connect({
    host: LOOPBACK, port: peer.port, servername: SERVER_NAME, ca: demo('ca.pem'),
  });
  await secureConnected(client);
  const ended = new Promise<boolean>((resolve) => client.once('end', () => resolve(true)));
  const closed = new Promise<boolean>((resolve) => client.once('close', resolve));
  client.end();
  t.true(await ended);
  t.false(await closed);
});
