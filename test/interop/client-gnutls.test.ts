// Our client against gnutls-serv (Debian's gnutls-bin; .ci/run installs it when missing), a
// second TLS stack besides OpenSSL: its --http page fetched with a GET, once without and once
// with a client certificate. gnutls-serv binds every interface (it has no option to bind
// one); our client connects to 127.0.0.1 only.

import test from 'ava';
import { X509Certificate } from 'node:crypto';
import { connectTraced, secureConnected } from '../helpers/client';
import { hasCommand, startGnutlsServer } from '../helpers/peers';
import { demo, demoPath } from '../helpers/pki';

const TLS13_ONLY = '--priority=NORMAL:-VERS-ALL:+VERS-TLS1.3';
const SERVER = [
  '--x509certfile', demoPath('server.pem'), '--x509keyfile', demoPath('server-key.pem'),
];

test.before('gnutls-serv is installed', (t) => {
  // Not a skip: the interop case is part of the spec, so its absence fails loudly.
  t.true(hasCommand('gnutls-serv'), 'gnutls-serv is missing: install gnutls-bin (.ci/run does)');
});

async function get(client: ReturnType<typeof connectTraced>): Promise<string> {
  await secureConnected(client.socket);
  const ended = new Promise((resolve) => client.socket.once('end', resolve));
  client.socket.write('GET / HTTP/1.0\r\nHost: localhost\r\n\r\n');
  await ended;
  return client.received();
}

test.serial('gnutls-serv --http: a GET over TLS 1.3', async (t) => {
  const peer = await startGnutlsServer(t,
    ['--http', TLS13_ONLY, '--disable-client-cert', ...SERVER]);
  const client = connectTraced(peer.port, { ciphers: 'TLS_CHACHA20_POLY1305_SHA256' });
  const page = await get(client);
  t.true(client.socket.authorized);
  t.is(client.socket.getCipher()?.name, 'TLS_CHACHA20_POLY1305_SHA256');
  t.regex(page, /^HTTP\/1\.0 200 OK\r\n/);
  t.true(page.includes(
    '(TLS1.3-X.509)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)-(CHACHA20-POLY1305)'), page);
});

test.serial('gnutls-serv --require-client-cert: the page names our certificate', async (t) => {
  const peer = await startGnutlsServer(t, [
    '--http', TLS13_ONLY, '--require-client-cert', '--verify-client-cert',
    '--x509cafile', demoPath('ca.pem'), ...SERVER,
  ]);
  const client = connectTraced(peer.port, {
    cert: demo('client-ecdsa.pem'), key: demo('client-ecdsa-key.pem'),
  });
  const page = await get(client);
  t.is(client.socket.signatureSchemes.local, 'ecdsa_secp256r1_sha256');
  t.regex(page, /^HTTP\/1\.0 200 OK\r\n/);
  const cn = /^CN=(.*)$/m.exec(new X509Certificate(demo('client-ecdsa.pem')).subject)?.[1] ?? '?';
  t.true(page.includes(`Subject: CN=${cn}`), page);
  await peer.waitFor('The certificate is trusted');
});
