// gnutls-cli against our server on 127.0.0.1: a second TLS stack with its own parser and its own
// idea of what a server owes it, with and without a client certificate.

import test, { type ExecutionContext } from 'ava';
import type { ServerOptions } from '../../lib/index';
import { LOOPBACK, Peer, certFile, hasCommand, readCert, startTestServer } from '../server/helpers';

// .ci/run installs gnutls-bin; without it these tests fail rather than pass by skipping.
const maybe = test;

test('gnutls-cli is installed', (t) => {
  t.true(hasCommand('gnutls-cli'), 'gnutls-cli not found: install Debian\'s gnutls-bin');
});

function gnutlsCli(port: number, extra: readonly string[]): string[] {
  return ['--x509cafile', certFile('ca.pem'), '--priority', 'NORMAL:-VERS-ALL:+VERS-TLS1.3',
    '-p', String(port), ...extra, LOOPBACK];
}

async function converse(t: ExecutionContext, port: number,
  extra: readonly string[]): Promise<Peer> {
  const peer = new Peer(t, 'gnutls-cli', gnutlsCli(port, extra));
  await peer.waitFor(/- Handshake was completed/);
  peer.write('hello from gnutls\n');
  await peer.waitFor(/echo:hello from gnutls/);
  peer.end();
  t.is(await peer.exit(), 0, peer.output);
  return peer;
}

maybe('gnutls-cli without a client certificate', async (t) => {
  const { port, nextSecure } = await startTestServer(t);
  const secure = nextSecure();
  const peer = await converse(t, port, []);
  t.regex(peer.output, /The certificate is trusted/);
  t.regex(peer.output, /\(TLS1\.3[^)]*\)/);
  const socket = await secure;
  t.is(socket.getProtocol(), 'TLSv1.3');
  t.false(socket.authorized);
});

const REQUIRE_CERT: Partial<ServerOptions> = { requestCert: true, ca: readCert('ca.pem') };

maybe('gnutls-cli with an ECDSA client certificate the server requires', async (t) => {
  const { port, nextSecure } = await startTestServer(t, REQUIRE_CERT);
  const secure = nextSecure();
  await converse(t, port, ['--x509certfile', certFile('client-ecdsa.pem'),
    '--x509keyfile', certFile('client-ecdsa-key.pem')]);
  const socket = await secure;
  t.true(socket.authorized);
  const subject = socket.getPeerCertificate().subject as Record<string, string>;
  t.is(subject.CN, 'tls13 Demo Client (ECDSA)');
});

maybe('gnutls-cli without the certificate the server requires: certificate_required', async (t) => {
  const { port, nextClientError, records } = await startTestServer(t, REQUIRE_CERT);
  const refused = nextClientError();
  const peer = new Peer(t, 'gnutls-cli', gnutlsCli(port, []));
  await peer.waitFor(/- Handshake was completed/);
  peer.write('hello\n');
  // gnutls-cli names the alert number when its read finds the alert, not when its write does.
  await peer.waitFor(/Received alert \[116\]|A TLS fatal alert has been received/);
  peer.end();
  t.not(await peer.exit(), 0);
  t.is((await refused).code, 'ERR_TLS13_CERTIFICATE_REQUIRED');
  t.true(records.some((r) =>
    r.kind === 'alert' && r.direction === 'sent' && r.alert === 'certificate_required'));
});
