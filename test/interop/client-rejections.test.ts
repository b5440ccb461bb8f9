// Servers our client must refuse, played by Node's TLS server with certificates from the
// factory: untrusted, self-signed, wrongly named, expired, and with a malformed common name. Each fails with Node's code and
// the alert RFC 8446 names, which the server reports receiving; with rejectUnauthorized: false
// each completes with authorized === false and the reason in authorizationError.

import test from 'ava';
import { alerts, connectTraced, failure, secureConnected } from '../helpers/client';
import { startNodeTlsServer } from '../helpers/peers';
import { badServers, demo, type BadServer } from '../helpers/pki';

interface Case {
  title: string;
  server: () => BadServer;
  /** What the client trusts. */
  ca: () => string | Buffer;
  code: string;
  alert: string;
  /** Node's code for that alert, as the server reports receiving it. */
  serverSees: string;
}

const CASES: Case[] = [
  {
    title: 'a server from a CA we do not trust',
    server: () => badServers().untrusted, ca: () => demo('ca.pem'),
    code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', alert: 'unknown_ca',
    serverSees: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  },
  {
    title: 'a self-signed server',
    server: () => badServers().selfSigned, ca: () => demo('ca.pem'),
    code: 'DEPTH_ZERO_SELF_SIGNED_CERT', alert: 'unknown_ca',
    serverSees: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  },
  {
    title: 'a server named elsewhere.test',
    server: () => badServers().wrongName, ca: () => badServers().root,
    code: 'ERR_TLS_CERT_ALTNAME_INVALID', alert: 'bad_certificate',
    serverSees: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  },
  {
    title: 'a server whose certificate expired in 2016',
    server: () => badServers().expired, ca: () => badServers().root,
    code: 'CERT_HAS_EXPIRED', alert: 'certificate_expired',
    serverSees: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  },
  {
    title: 'a server whose common name writes an IPv4 address with leading zeros',
    server: () => badServers().zeroPaddedCommonName, ca: () => badServers().root,
    code: 'ERR_TLS13_INVALID_CERTIFICATE', alert: 'bad_certificate',
    serverSees: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  },
];

for (const c of CASES) {
  test(`rejects ${c.title}: ${c.code}`, async (t) => {
    const identity = c.server();
    const peer = await startNodeTlsServer(t, { cert: identity.cert, key: identity.key });
    const serverError = peer.nextClientError();
    const client = connectTraced(peer.port, { ca: c.ca() });
    let secure = false;
    client.socket.on('secureConnect', () => {
      secure = true;
    });
    const { error, hadError } = await failure(client.socket);
    t.is(error.code, c.code);
    t.true(hadError);
    t.false(secure);
    t.deepEqual(alerts(client.trace), [`sent ${c.alert}`]);
    const check = client.trace.find((r) => r.kind === 'check' && !r.ok);
    t.truthy(check, 'the trace names the failed check');
    t.is((await serverError).code, c.serverSees);
  });

  test(`with rejectUnauthorized: false, ${c.title} is reported, not refused`, async (t) => {
    const identity = c.server();
    const peer = await startNodeTlsServer(t, { cert: identity.cert, key: identity.key },
      (socket) => socket.end('served anyway'));
    const client = connectTraced(peer.port, { ca: c.ca(), rejectUnauthorized: false });
    await secureConnected(client.socket);
    t.false(client.socket.authorized);
    t.is(client.socket.authorizationError, c.code);
    t.deepEqual(alerts(client.trace).filter((a) => a.startsWith('sent')), []);
    await new Promise((resolve) => client.socket.once('end', resolve));
    t.is(client.received(), 'served anyway');
  });
}

test('checkServerIdentity replaces the name check', async (t) => {
  const identity = badServers().wrongName;
  const peer = await startNodeTlsServer(t, { cert: identity.cert, key: identity.key });
  const names: string[] = [];
  const client = connectTraced(peer.port, {
    ca: badServers().root,
    checkServerIdentity: (hostname, cert) => {
      names.push(hostname, String((cert.subject as { CN?: string }).CN));
      return undefined;
    },
  });
  await secureConnected(client.socket);
  t.true(client.socket.authorized);
  t.deepEqual(names, ['localhost', 'elsewhere.test']);
  client.socket.destroy();
});
