// Our client against `openssl s_server -tls1_3` (OpenSSL 3.0): client certificates, every
// suite and group, every kind of server key, middlebox mode, small fragments, tickets, a
// KeyUpdate that the server requests, and its -www page. Each test starts its own s_server on
// 127.0.0.1 and stops it in teardown.

import test, { type ExecutionContext } from 'ava';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ContentType } from '../../lib/protocol/registry';
import {
  alerts, connectTapped, connectTraced, failure, findMessage, messages, receivedText,
  secureConnected, until, type TracedClient,
} from '../helpers/client';
import { startOpensslServer, type PeerProcess } from '../helpers/peers';
import { demo, demoPath, type DemoFile } from '../helpers/pki';

type ServerIdentity =
  'server' | 'server-ed25519' | 'server-ed448' | 'server-rsa-pss' | 'server-rsa';

/** s_server with one of the demo identities (leaf and intermediate) and `extra` arguments. */
function startServer(t: ExecutionContext, extra: string[] = [],
  identity: ServerIdentity = 'server'): Promise<PeerProcess> {
  return startOpensslServer(t, [
    '-cert', demoPath(`${identity}.pem` as DemoFile),
    '-key', demoPath(`${identity}-key.pem` as DemoFile),
    '-cert_chain', demoPath('intermediate.pem'), ...extra,
  ]);
}

const REQUIRE_CLIENT_CERT = ['-Verify', '1', '-CAfile', demoPath('ca.pem'), '-verify_return_error'];

/** The line s_server prints for the client certificate it received, as a pattern. */
function subjectLine(file: DemoFile): RegExp {
  const cn = /^CN=(.*)$/m.exec(new X509Certificate(demo(file)).subject);
  if (!cn) throw new Error(`no CN in ${file}`);
  return new RegExp(`^subject=.*CN = ${cn[1].replace(/[()]/g, '\\$&')}$`, 'm');
}

/** A line each way: ours printed by s_server, one typed on its stdin arriving at our socket. */
async function exchange(t: ExecutionContext, peer: PeerProcess, client: TracedClient,
  tag: string): Promise<void> {
  client.socket.write(`ping ${tag}\n`);
  await peer.waitFor(`ping ${tag}`);
  peer.type(`pong ${tag}\n`);
  await receivedText(client, `pong ${tag}\n`);
  t.pass(`data flowed both ways (${tag})`);
}

test.serial('client certificate ECDSA P-256 with -Verify 1 -verify_return_error', async (t) => {
  const peer = await startServer(t, REQUIRE_CLIENT_CERT);
  const client = connectTraced(peer.port, {
    cert: demo('client-ecdsa.pem'), key: demo('client-ecdsa-key.pem'),
  });
  await secureConnected(client.socket);
  t.true(client.socket.authorized);
  t.is(client.socket.signatureSchemes.local, 'ecdsa_secp256r1_sha256');
  t.deepEqual(messages(client.trace).filter((m) => m.startsWith('sent')),
    ['sent ClientHello', 'sent Certificate', 'sent CertificateVerify', 'sent Finished']);
  await exchange(t, peer, client, 'ecdsa');
  t.regex(peer.output, subjectLine('client-ecdsa.pem'));
  t.true(peer.output.includes('Peer signature type: ECDSA'), peer.output);
  client.socket.destroy();
});

test.serial('client certificate RSA-2048 from a PKCS#1 key file', async (t) => {
  const keyFile = readFileSync(demoPath('client-rsa-key.pem'), 'latin1');
  t.true(keyFile.startsWith('-----BEGIN RSA PRIVATE KEY-----'));
  const peer = await startServer(t, REQUIRE_CLIENT_CERT);
  const client = connectTraced(peer.port, {
    cert: demo('client-rsa.pem'), key: demo('client-rsa-key.pem'),
  });
  await secureConnected(client.socket);
  // TLS 1.3 signs with PSS, never PKCS#1 v1.5 (RFC 8446, Section 4.2.3).
  t.is(client.socket.signatureSchemes.local, 'rsa_pss_rsae_sha256');
  await exchange(t, peer, client, 'rsa');
  t.regex(peer.output, subjectLine('client-rsa.pem'));
  t.true(peer.output.includes('Peer signature type: RSA-PSS'), peer.output);
  client.socket.destroy();
});

test.serial('-verify 1 without a client identity: an empty Certificate, and on', async (t) => {
  const peer = await startServer(t, ['-verify', '1', '-CAfile', demoPath('ca.pem')]);
  const client = connectTraced(peer.port);
  await secureConnected(client.socket);
  t.truthy(findMessage(client.trace, 'received', 'CertificateRequest'));
  t.is(findMessage(client.trace, 'sent', 'Certificate')?.fields.certificates, '(empty)');
  t.is(findMessage(client.trace, 'sent', 'CertificateVerify'), undefined);
  await exchange(t, peer, client, 'anonymous');
  t.false(peer.output.includes('Client certificate'), peer.output);
  client.socket.destroy();
});

const SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];
for (const suite of SUITES) {
  test.serial(`-ciphersuites ${suite}`, async (t) => {
    const peer = await startServer(t, ['-ciphersuites', suite]);
    const client = connectTraced(peer.port);
    await secureConnected(client.socket);
    t.is(client.socket.getCipher()?.name, suite);
    t.is(client.socket.getProtocol(), 'TLSv1.3');
    t.true(client.socket.authorized);
    await exchange(t, peer, client, suite);
    t.true(peer.output.includes(`CIPHER is ${suite}`), peer.output);
    client.socket.destroy();
  });
}

test.serial('-groups P-384: HelloRetryRequest for secp384r1', async (t) => {
  const peer = await startServer(t, ['-groups', 'P-384']);
  const client = connectTraced(peer.port);
  await secureConnected(client.socket);
  const hrr = findMessage(client.trace, 'received', 'HelloRetryRequest');
  t.is(hrr?.fields.selected_group, 'secp384r1');
  t.deepEqual(messages(client.trace).slice(0, 4),
    ['sent ClientHello', 'received HelloRetryRequest', 'sent ClientHello', 'received ServerHello']);
  t.is(client.socket.getEphemeralKeyInfo()?.name, 'secp384r1');
  await exchange(t, peer, client, 'p384');
  client.socket.destroy();
});

for (const [group, ours] of [['P-521', 'secp521r1'], ['X448', 'x448']]) {
  test.serial(`-groups ${group} with our default groups: HelloRetryRequest`, async (t) => {
    const peer = await startServer(t, ['-groups', group]);
    const client = connectTraced(peer.port);
    await secureConnected(client.socket);
    t.is(findMessage(client.trace, 'received', 'HelloRetryRequest')?.fields.selected_group, ours);
    t.is(client.socket.getEphemeralKeyInfo()?.name, ours);
    await exchange(t, peer, client, group);
    client.socket.destroy();
  });

  test.serial(`-groups ${group} with ecdhCurve ${group}: its key share at once`, async (t) => {
    const peer = await startServer(t, ['-groups', group]);
    const client = connectTraced(peer.port, { ecdhCurve: `${group}:X25519` });
    await secureConnected(client.socket);
    t.deepEqual(findMessage(client.trace, 'sent', 'ClientHello')?.fields.key_share, [ours]);
    t.is(findMessage(client.trace, 'received', 'HelloRetryRequest'), undefined);
    t.is(client.socket.getEphemeralKeyInfo()?.name, ours);
    await exchange(t, peer, client, `${group} direct`);
    client.socket.destroy();
  });
}

const SERVER_KEYS: Array<[ServerIdentity, string, string]> = [
  ['server-ed448', 'ed448', 'Ed448'],
  ['server-rsa-pss', 'rsa_pss_pss_sha256', 'RSA-PSS'],
  ['server-ed25519', 'ed25519', 'Ed25519'],
  ['server-rsa', 'rsa_pss_rsae_sha256', 'RSA (rsaEncryption)'],
];
for (const [identity, scheme, label] of SERVER_KEYS) {
  test.serial(`${label} server certificate: CertificateVerify with ${scheme}`, async (t) => {
    const peer = await startServer(t, [], identity);
    const client = connectTraced(peer.port);
    await secureConnected(client.socket);
    t.true(client.socket.authorized);
    t.is(client.socket.signatureSchemes.peer, scheme);
    t.is(findMessage(client.trace, 'received', 'CertificateVerify')?.fields.algorithm, scheme);
    const leaf = new X509Certificate(demo(`${identity}.pem` as DemoFile));
    t.is(client.socket.getPeerCertificate().fingerprint256, leaf.fingerprint256);
    await exchange(t, peer, client, identity);
    client.socket.destroy();
  });
}

test.serial('ChangeCipherSpec from the server by default, none with -no_middlebox', async (t) => {
  const withCcs = await startServer(t);
  const first = connectTapped(withCcs.port);
  await secureConnected(first.socket);
  await exchange(t, withCcs, first, 'middlebox');
  t.true(first.fromServer.some((r) => r.type === ContentType.change_cipher_spec));
  first.socket.destroy();

  const peer = await startServer(t, ['-no_middlebox']);
  const client = connectTapped(peer.port);
  await secureConnected(client.socket);
  await exchange(t, peer, client, 'no middlebox');
  t.false(client.fromServer.some((r) => r.type === ContentType.change_cipher_spec));
  t.deepEqual(client.fromServer.slice(0, 2).map((r) => r.type),
    [ContentType.handshake, ContentType.application_data]);
  client.socket.destroy();
});

test.serial('our client without middlebox compatibility against -no_middlebox', async (t) => {
  const peer = await startServer(t, ['-no_middlebox']);
  const client = connectTraced(peer.port, { middleboxCompatibility: false });
  await secureConnected(client.socket);
  t.is(findMessage(client.trace, 'sent', 'ClientHello')?.fields.legacy_session_id, '0 bytes');
  await exchange(t, peer, client, 'no session id');
  client.socket.destroy();
});

test.serial('-max_send_frag 512: 40000 bytes in 512-byte records arrive whole', async (t) => {
  const peer = await startServer(t, ['-max_send_frag', '512']);
  const client = connectTapped(peer.port);
  await secureConnected(client.socket);
  await exchange(t, peer, client, 'small');
  const line = (i: number): string => `line ${String(i).padStart(4, '0')} ${'x'.repeat(88)}`;
  const large = Array.from({ length: 400 }, (_, i) => line(i)).join('\n');
  peer.type(`${large}\n`);
  await receivedText(client, `${large}\n`);
  t.true(client.received().endsWith(`pong small\n${large}\n`));
  const protectedRecords = client.fromServer.filter((r) => r.type === ContentType.application_data);
  // 512 bytes of content, the inner type byte and the 16-byte tag.
  t.true(protectedRecords.every((r) => r.length <= 512 + 1 + 16), JSON.stringify(protectedRecords));
  t.true(protectedRecords.filter((r) => r.length === 512 + 1 + 16).length >= 40000 / 512 - 1);
  client.socket.destroy();
});

test.serial('-num_tickets 2: two ticket events', async (t) => {
  const peer = await startServer(t, ['-num_tickets', '2']);
  const client = connectTraced(peer.port);
  await secureConnected(client.socket);
  await until(client, () => client.tickets.length >= 2, 'two tickets');
  await exchange(t, peer, client, 'tickets');
  t.is(client.tickets.length, 2);
  t.is(client.socket.tickets.length, 2);
  t.is(messages(client.trace).filter((m) => m === 'received NewSessionTicket').length, 2);
  t.true(client.tickets.every((ticket) => ticket.ticket.length > 0 && ticket.ticketLifetime > 0));
  client.socket.destroy();
});

test.serial('K on s_server: KeyUpdate requested, answered, data still flowing', async (t) => {
  const peer = await startServer(t);
  const client = connectTraced(peer.port);
  await secureConnected(client.socket);
  await exchange(t, peer, client, 'before');
  peer.type('K\n');
  const keyUpdate = (direction: 'sent' | 'received'): unknown =>
    findMessage(client.trace, direction, 'KeyUpdate')?.fields.request_update;
  await until(client, () => keyUpdate('sent') !== undefined, 'our KeyUpdate');
  t.is(keyUpdate('received'), 'update_requested');
  t.is(keyUpdate('sent'), 'update_not_requested');
  const keys = client.trace.filter((r) => r.kind === 'keys').slice(-2)
    .map((r) => r.kind === 'keys' && `${r.direction} ${r.secret}`);
  t.deepEqual(keys, [
    'read the next application traffic secret', 'write the next application traffic secret',
  ]);
  await exchange(t, peer, client, 'after');
  await exchange(t, peer, client, 'after again');
  t.deepEqual(alerts(client.trace), []);
  client.socket.destroy();
});

test.serial('-www serves the GET', async (t) => {
  const peer = await startServer(t, ['-www']);
  const client = connectTraced(peer.port, { ciphers: 'TLS_AES_256_GCM_SHA384' });
  const closed = new Promise<boolean>((resolve) => client.socket.once('close', resolve));
  client.socket.end('GET / HTTP/1.0\r\n\r\n');
  t.false(await closed);
  const page = client.received();
  t.true(page.startsWith('HTTP/1.0 200 ok\r\n'), page.slice(0, 200));
  t.true(page.includes('Protocol  : TLSv1.3') || page.includes('TLSv1.3'), page);
  t.true(page.includes('Cipher is TLS_AES_256_GCM_SHA384'), page);
  t.true(page.trimEnd().endsWith('</BODY></HTML>'), page.slice(-200));
  t.deepEqual(alerts(client.trace), ['sent close_notify', 'received close_notify']);
});

test.serial('a client certificate the server does not trust: unknown_ca', async (t) => {
  // Without certificate_authorities in the request, so that our client offers its certificate.
  const peer = await startServer(t, [...REQUIRE_CLIENT_CERT, '-no_ca_names']);
  const client = connectTraced(peer.port, {
    cert: demo('untrusted-client.pem'), key: demo('untrusted-client-key.pem'),
  });
  const failed = failure(client.socket);
  const { error, hadError } = await failed;
  t.is(error.code, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
  t.true(hadError);
  t.deepEqual(alerts(client.trace), ['received unknown_ca']);
  await peer.waitFor(/unable to get local issuer certificate|unknown ca/i);
});

test.serial('the server names its CAs: an identity from another CA is not offered', async (t) => {
  const peer = await startServer(t, REQUIRE_CLIENT_CERT);
  const client = connectTraced(peer.port, {
    cert: demo('untrusted-client.pem'), key: demo('untrusted-client-key.pem'),
  });
  const { error, hadError } = await failure(client.socket);
  t.deepEqual(
    findMessage(client.trace, 'received', 'CertificateRequest')?.fields.certificate_authorities,
    ['CN=tls13 Demo Root CA, O=tls13']);
  t.is(findMessage(client.trace, 'sent', 'Certificate')?.fields.certificates, '(empty)');
  const decision = client.trace.find((r) =>
    r.kind === 'decision' && r.topic === 'client certificate');
  t.is(decision?.kind === 'decision' ? decision.choice : undefined, 'none');
  t.is(error.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  t.regex(error.message, /our certificate CN=Untrusted Demo Client, O=elsewhere was not sent: no certificate of our chain is or is issued by one of the 1 CAs the server named/);
  t.true(hadError);
  await peer.waitFor(/peer did not return a certificate|certificate required/i);
});

test.serial('updateKeys(true): s_server answers our KeyUpdate and data flows on', async (t) => {
  const peer = await startServer(t);
  const client = connectTraced(peer.port);
  await secureConnected(client.socket);
  await exchange(t, peer, client, 'before');
  client.socket.updateKeys(true);
  const keyUpdate = (direction: 'sent' | 'received'): unknown =>
    findMessage(client.trace, direction, 'KeyUpdate')?.fields.request_update;
  t.is(keyUpdate('sent'), 'update_requested');
  // OpenSSL answers when it next writes; typing a line makes it write.
  await exchange(t, peer, client, 'after');
  await until(client, () => keyUpdate('received') !== undefined, 'the KeyUpdate of s_server');
  t.is(keyUpdate('received'), 'update_not_requested');
  await exchange(t, peer, client, 'after again');
  t.deepEqual(alerts(client.trace), []);
  client.socket.destroy();
});

test.serial('-alpn: the protocol s_server picks from our list', async (t) => {
  const peer = await startServer(t, ['-alpn', 'h2,http/1.1']);
  const client = connectTraced(peer.port, { ALPNProtocols: ['http/1.1', 'spdy/1'] });
  await secureConnected(client.socket);
  t.is(client.socket.alpnProtocol, 'http/1.1');
  await exchange(t, peer, client, 'alpn');
  t.regex(peer.output, /ALPN protocols advertised by the client:\s*http\/1\.1, spdy\/1/);
  client.socket.destroy();
});

test.serial('no suite in common: handshake_failure from s_server', async (t) => {
  const peer = await startServer(t, ['-ciphersuites', 'TLS_AES_128_GCM_SHA256']);
  const client = connectTraced(peer.port, { ciphers: 'TLS_CHACHA20_POLY1305_SHA256' });
  const { error, hadError } = await failure(client.socket);
  t.is(error.code, 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
  t.true(hadError);
  t.deepEqual(alerts(client.trace), ['received handshake_failure']);
  await peer.waitFor(/no shared cipher/);
});

test.serial('getPeerCertificate(true) links leaf, intermediate and root', async (t) => {
  const peer = await startServer(t);
  const client = connectTraced(peer.port);
  await secureConnected(client.socket);
  const leaf = client.socket.getPeerCertificate(true);
  const intermediate = leaf.issuerCertificate;
  const root = intermediate?.issuerCertificate;
  const fingerprint = (file: DemoFile): string => new X509Certificate(demo(file)).fingerprint256;
  t.is(leaf.fingerprint256, fingerprint('server.pem'));
  t.is(intermediate?.fingerprint256, fingerprint('intermediate.pem'));
  t.is(root?.fingerprint256, fingerprint('ca.pem'));
  t.is(root?.issuerCertificate, root);
  t.deepEqual(client.socket.getPeerCertificate().subject, leaf.subject);
  client.socket.destroy();
});

test.serial('client certificate Ed25519: CertificateVerify with ed25519', async (t) => {
  const peer = await startServer(t, REQUIRE_CLIENT_CERT);
  const client = connectTraced(peer.port, {
    cert: demo('client-ed25519.pem'), key: demo('client-ed25519-key.pem'),
  });
  await secureConnected(client.socket);
  t.is(client.socket.signatureSchemes.local, 'ed25519');
  await exchange(t, peer, client, 'ed25519');
  t.regex(peer.output, subjectLine('client-ed25519.pem'));
  t.true(peer.output.includes('Peer signature type: ed25519'), peer.output);
  client.socket.destroy();
});

test.serial('sigalgs: our RSA key signs with the scheme we put first', async (t) => {
  const peer = await startServer(t, REQUIRE_CLIENT_CERT);
  const client = connectTraced(peer.port, {
    cert: demo('client-rsa.pem'), key: demo('client-rsa-key.pem'),
    sigalgs: 'ecdsa_secp256r1_sha256:rsa_pss_rsae_sha512:rsa_pss_rsae_sha256',
  });
  await secureConnected(client.socket);
  t.is(client.socket.signatureSchemes.local, 'rsa_pss_rsae_sha512');
  await exchange(t, peer, client, 'sha512');
  t.true(peer.output.includes('Peer signing digest: SHA512'), peer.output);
  client.socket.destroy();
});

test.serial('an expired client certificate: certificate_expired from the server', async (t) => {
  const peer = await startServer(t, REQUIRE_CLIENT_CERT);
  const client = connectTraced(peer.port, {
    cert: demo('expired-client.pem'), key: demo('expired-client-key.pem'),
  });
  const { error, hadError } = await failure(client.socket);
  t.is(findMessage(client.trace, 'sent', 'CertificateVerify')?.fields.algorithm,
    'ecdsa_secp256r1_sha256');
  t.is(error.code, 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED');
  t.true(hadError);
  t.deepEqual(alerts(client.trace), ['received certificate_expired']);
  await peer.waitFor(/certificate has expired/);
});
