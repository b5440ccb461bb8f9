// openssl s_client against our server, on 127.0.0.1 with an ephemeral port: client identities
// of each key type, each suite, HelloRetryRequest, a group we lack, no middlebox compatibility,
// small records, tickets, KeyUpdate both ways, and the alerts of refused client certificates.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { createSecureContext, type ServerOptions, type TlsSocket } from '../../lib/index';
import {
  LOOPBACK, Peer, certFile, messages, readCert, startTestServer, until,
} from '../server/helpers';

const REQUIRE_CERT: Partial<ServerOptions> = { requestCert: true, ca: readCert('ca.pem') };

function sClient(port: number, extra: readonly string[]): string[] {
  return ['s_client', '-tls1_3', '-connect', `${LOOPBACK}:${port}`, '-CAfile', certFile('ca.pem'),
    '-verify_return_error', ...extra];
}

/** -cert and -key for a demo client identity; its chain file's intermediate goes as -cert_chain. */
function identity(name: string): string[] {
  return ['-cert', certFile(`${name}.pem`), '-key', certFile(`${name}-key.pem`),
    '-cert_chain', certFile('intermediate.pem')];
}

/** A whole s_client session: handshake, one line echoed, end of input, clean exit. */
async function converse(t: ExecutionContext, port: number, extra: readonly string[],
  line = 'hello'): Promise<Peer> {
  const peer = new Peer(t, 'openssl', sClient(port, extra));
  await peer.waitFor(/Verify return code: 0 \(ok\)/);
  peer.write(`${line}\n`);
  // The server echoes each record it reads, so a long line may come back in pieces.
  const echoed = (): boolean => peer.output.replace(/echo:/g, '').includes(`${line}\n`);
  await until(echoed, `the echo of ${line.length} bytes`);
  peer.end();
  t.is(await peer.exit(), 0, peer.output);
  return peer;
}

test('s_client without a client certificate', async (t) => {
  const { port, nextSecure } = await startTestServer(t);
  const secure = nextSecure();
  const peer = await converse(t, port, []);
  const socket = await secure;
  t.regex(peer.output, /New, TLSv1\.3, Cipher is TLS_AES_\d+_GCM_SHA\d+/);
  t.is(socket.getProtocol(), 'TLSv1.3');
  t.false(socket.authorized);
  t.deepEqual(socket.getPeerCertificate(), {});
});

const clientIdentities: Array<[string, string, RegExp]> = [
  ['client-ecdsa', 'tls13 Demo Client (ECDSA)', /^ecdsa_secp256r1_sha256$/],
  ['client-rsa', 'tls13 Demo Client (RSA)', /^rsa_pss_(rsae|pss)_sha256$/],
  ['client-ed25519', 'tls13 Demo Client (Ed25519)', /^ed25519$/],
];

for (const [name, commonName, scheme] of clientIdentities) {
  test(`s_client with the ${name} identity`, async (t) => {
    const { port, nextSecure, records } = await startTestServer(t, REQUIRE_CERT);
    const secure = nextSecure();
    await converse(t, port, identity(name));
    const socket: TlsSocket = await secure;
    t.true(socket.authorized);
    t.is(socket.authorizationError, undefined);
    t.is((socket.getPeerCertificate().subject as Record<string, string>).CN, commonName);
    t.regex(socket.signatureSchemes.peer ?? '', scheme);
    t.regex(String(messages(records, 'received', 'CertificateVerify')[0]?.algorithm), scheme);
  });
}

const SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

for (const suite of SUITES) {
  test(`s_client with ${suite} only`, async (t) => {
    const { port, nextSecure } = await startTestServer(t);
    const secure = nextSecure();
    const peer = await converse(t, port, ['-ciphersuites', suite]);
    t.regex(peer.output, new RegExp(`Cipher is ${suite}`));
    t.is((await secure).getCipher()?.standardName, suite);
  });
}

/** The legacy_session_id of a hello in s_client's -msg dump (type, length, version, random). */
function sessionIds(output: string, name: 'ClientHello' | 'ServerHello'): string[] {
  const header = `(?:>>>|<<<) TLS 1\\.3, Handshake \\[length [0-9a-f]+\\], ${name}\\n`;
  const pattern = new RegExp(`${header}((?:    [0-9a-f ]+\\n)+)`, 'g');
  return [...output.matchAll(pattern)].map((m) => {
    const bytes = Buffer.from(m[1].replace(/\s+/g, ''), 'hex');
    const length = bytes[4 + 2 + 32];
    return bytes.subarray(4 + 2 + 32 + 1, 4 + 2 + 32 + 1 + length).toString('hex');
  });
}

test('s_client -groups X25519:P-256, server P-256: HelloRetryRequest, id echoed', async (t) => {
  const { port, nextSecure, records } = await startTestServer(t, { ecdhCurve: 'P-256' });
  const secure = nextSecure();
  const peer = await converse(t, port, ['-groups', 'X25519:P-256', '-msg']);
  t.is((await secure).getEphemeralKeyInfo()?.name, 'secp256r1');

  const retry = messages(records, 'sent', 'HelloRetryRequest');
  t.is(retry.length, 1);
  t.is(retry[0].selected_group, 'secp256r1');
  t.is(retry[0].legacy_session_id_echo, '32 bytes');
  t.deepEqual(messages(records, 'received', 'ClientHello')[0].key_share, ['x25519']);
  t.deepEqual(messages(records, 'received', 'ClientHello (after HelloRetryRequest)')[0].key_share,
    ['secp256r1']);

  // s_client received two ServerHellos (the first is the HelloRetryRequest), each echoing the
  // session id of its ClientHellos.
  const sent = sessionIds(peer.output, 'ClientHello');
  const received = sessionIds(peer.output, 'ServerHello');
  t.is(sent.length, 2);
  t.is(received.length, 2);
  t.is(sent[0].length, 64);
  t.deepEqual(received, sent);
  t.regex(peer.output, /Server Temp Key: ECDH, prime256v1, 256 bits/);
});

test('s_client -groups P-384 against a server without it: handshake_failure (40)', async (t) => {
  const { port, nextClientError } = await startTestServer(t, { ecdhCurve: 'X25519:P-256' });
  const refused = nextClientError();
  const peer = new Peer(t, 'openssl', sClient(port, ['-groups', 'P-384']));
  await peer.waitFor(/alert number 40\b/);
  peer.end();
  await peer.exit();
  t.regex(peer.output, /alert handshake failure/);
  t.is((await refused).code, 'ERR_TLS13_HANDSHAKE_FAILURE');
});

// s_client refuses our certificate before it has taken up its handshake keys, so its alert
// comes in the clear (RFC 8446, Appendix A.1); the server still reads and reports it.
test('s_client trusting another CA: its unknown_ca, sent in the clear, reaches our server', async (t) => {
  const { port, nextClientError, records } = await startTestServer(t);
  const refused = nextClientError();
  const peer = new Peer(t, 'openssl', ['s_client', '-tls1_3', '-connect', `${LOOPBACK}:${port}`,
    '-CAfile', certFile('other-ca.pem'), '-verify_return_error']);
  await peer.waitFor(/verify error|unable to get local issuer/);
  peer.end();
  await peer.exit();
  t.is((await refused).code, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
  const received = records.filter((r) => r.kind === 'alert' && r.direction === 'received');
  t.deepEqual(received.map((r) => r.kind === 'alert' && [r.alert, r.reason]), [
    ['unknown_ca', 'the peer ends the connection (sent in the clear, before its handshake keys)'],
  ]);
});

test('s_client -no_middlebox: an empty session id, echoed empty', async (t) => {
  const { port, records } = await startTestServer(t);
  const peer = await converse(t, port, ['-no_middlebox', '-msg']);
  t.is(messages(records, 'received', 'ClientHello')[0].legacy_session_id, '0 bytes');
  t.is(messages(records, 'sent', 'ServerHello')[0].legacy_session_id_echo, '0 bytes');
  t.deepEqual(sessionIds(peer.output, 'ServerHello'), ['']);
});

test('s_client -max_send_frag 512: a fragmented certificate chain and long lines', async (t) => {
  const { port, nextSecure } = await startTestServer(t, REQUIRE_CERT);
  const secure = nextSecure();
  const line = 'x'.repeat(3000);
  await converse(t, port, ['-max_send_frag', '512', ...identity('client-rsa')], line);
  t.true((await secure).authorized);
});

test('s_client -sess_out: tickets arrive and the session file is written', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tls13-sess-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'session.pem');
  const { port, records } = await startTestServer(t, { ticketCount: 2 });
  const peer = new Peer(t, 'openssl', sClient(port, ['-sess_out', file]));
  // s_client writes the file when a ticket arrives (its stdout is buffered until it exits).
  const written = (): boolean =>
    existsSync(file) && /-----END SSL SESSION PARAMETERS-----/.test(readFileSync(file, 'latin1'));
  await until(written, 'the session file');
  peer.end();
  t.is(await peer.exit(), 0);
  t.is(messages(records, 'sent', 'NewSessionTicket').length, 2);
  t.is(peer.output.match(/Post-Handshake New Session Ticket arrived:/g)?.length, 2);
  t.regex(readFileSync(file, 'latin1'), /-----BEGIN SSL SESSION PARAMETERS-----/);
});

test('s_client k and K: KeyUpdate both ways, data still flowing', async (t) => {
  const { port, records } = await startTestServer(t);
  const peer = new Peer(t, 'openssl', sClient(port, []));
  await peer.waitFor(/Verify return code: 0 \(ok\)/);
  peer.write('before\n');
  await peer.waitFor(/echo:before/);
  peer.write('k\n');
  await peer.waitFor(/KEYUPDATE/);
  peer.write('middle\n');
  await peer.waitFor(/echo:middle/);
  peer.write('K\n');
  await peer.waitFor(/KEYUPDATE[\s\S]*KEYUPDATE/);
  peer.write('after\n');
  await peer.waitFor(/echo:after/);
  peer.end();
  t.is(await peer.exit(), 0);

  const received = messages(records, 'received', 'KeyUpdate').map((f) => f.request_update);
  t.deepEqual(received, ['update_not_requested', 'update_requested']);
  const sent = messages(records, 'sent', 'KeyUpdate').map((f) => f.request_update);
  t.deepEqual(sent, ['update_not_requested']);
});

const refusals: Array<[string, string[], number, string, RegExp]> = [
  ['no certificate where one is required', [], 116, 'ERR_TLS13_CERTIFICATE_REQUIRED',
    /alert certificate required/],
  ['an untrusted certificate', ['-cert', certFile('untrusted-client.pem'),
    '-key', certFile('untrusted-client-key.pem')], 48, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    /alert unknown ca/],
  ['an expired certificate', identity('expired-client'), 45, 'CERT_HAS_EXPIRED',
    /alert certificate expired/],
];

for (const [what, extra, alert, code, text] of refusals) {
  test(`s_client with ${what}: alert ${alert}`, async (t) => {
    const { port, nextClientError, records } = await startTestServer(t, REQUIRE_CERT);
    const refused = nextClientError();
    const peer = new Peer(t, 'openssl', sClient(port, extra));
    await peer.waitFor(new RegExp(`SSL alert number ${alert}\\b`));
    peer.end();
    await peer.exit();
    t.regex(peer.output, text);
    const error = await refused;
    t.is(error.code, code);
    t.true(records.some((r) => r.kind === 'alert' && r.direction === 'sent'));
  });
}

test('s_client -alpn h2, server http/1.1 only: no_application_protocol (120)', async (t) => {
  const { port, nextClientError } = await startTestServer(t, { ALPNProtocols: ['http/1.1'] });
  const refused = nextClientError();
  const peer = new Peer(t, 'openssl', sClient(port, ['-alpn', 'h2']));
  await peer.waitFor(/alert number 120\b/);
  peer.end();
  await peer.exit();
  t.is((await refused).code, 'ERR_TLS13_NO_APPLICATION_PROTOCOL');
});

test('s_client -alpn and -servername: both negotiated', async (t) => {
  const { port, nextSecure } = await startTestServer(t, { ALPNProtocols: ['h2', 'http/1.1'] });
  const secure = nextSecure();
  const peer = await converse(t, port, ['-alpn', 'http/1.1,h2', '-servername', 'localhost']);
  t.regex(peer.output, /ALPN protocol: h2/);
  const socket = await secure;
  t.is(socket.alpnProtocol, 'h2');
  t.is(socket.servername, 'localhost');
});

test('two identities: the server signs with the one whose scheme s_client accepts', async (t) => {
  const { port, nextSecure, records } = await startTestServer(t, {
    cert: [readCert('server.pem'), readCert('server-rsa.pem')],
    key: [readCert('server-key.pem'), readCert('server-rsa-key.pem')],
  });
  const secure = nextSecure();
  const peer = await converse(t, port, ['-sigalgs', 'RSA-PSS+SHA256']);
  t.regex(peer.output, /Peer signature type: RSA-PSS/);
  t.is((await secure).signatureSchemes.local, 'rsa_pss_rsae_sha256');
  t.true(records.some((r) =>
    r.kind === 'decision' && r.topic === 'certificate' && /RSA-2048/.test(r.choice)));
});

test('SNICallback picks the Ed25519 identity for localhost', async (t) => {
  const ed25519 = createSecureContext({
    cert: readCert('server-ed25519.pem'), key: readCert('server-ed25519-key.pem'),
  });
  const names: string[] = [];
  const { port, nextSecure } = await startTestServer(t, {
    SNICallback: (name, callback) => {
      names.push(name);
      callback(null, ed25519);
    },
  });
  const secure = nextSecure();
  const peer = await converse(t, port, ['-servername', 'localhost']);
  t.regex(peer.output, /Peer signature type: ed25519/i);
  t.deepEqual(names, ['localhost']);
  t.is((await secure).signatureSchemes.local, 'ed25519');
});

test('s_client -groups P-384 against the default server: its share is used at once', async (t) => {
  const { port, nextSecure, records } = await startTestServer(t);
  const secure = nextSecure();
  await converse(t, port, ['-groups', 'P-384']);
  t.is((await secure).getEphemeralKeyInfo()?.name, 'secp384r1');
  t.is(messages(records, 'sent', 'HelloRetryRequest').length, 0);
});
