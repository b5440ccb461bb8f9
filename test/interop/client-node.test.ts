// Our client against Node's own TLS server (OpenSSL underneath) asking for a client
// certificate: the server sees ours, both ends export the same keying material, and a server
// that requires a certificate we do not have ends our socket with certificate_required.

import test from 'ava';
import { X509Certificate } from 'node:crypto';
import type * as tls from 'node:tls';
import {
  alerts, connectTraced, failure, findMessage, receivedText, secureConnected,
} from '../helpers/client';
import { startNodeTlsServer } from '../helpers/peers';
import { demo } from '../helpers/pki';

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
