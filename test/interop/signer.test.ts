// Keys outside the process: CertificateVerify signed by a `signer` that answers later, on the
// client against openssl s_server and on our server against openssl s_client. The engine
// waits for the signature and holds what the peer sends meanwhile, within a bound.

import test from 'ava';
import { createPrivateKey, sign } from 'node:crypto';
import type { Scheme } from '../../lib/crypto/schemes';
import { connect } from '../../lib/index';
import { MAX_BUFFERED_WHILE_WAITING } from '../../lib/record/limits';
import { AlertDescription, ContentType, SignatureScheme } from '../../lib/protocol/registry';
import { encodeCertificateRequest } from '../../lib/messages/authentication';
import { signatureSchemeList } from '../../lib/messages/extensions';
import { LOOPBACK, startOpensslServer } from '../helpers/peers';
import { demo, demoPath, SERVER_NAME } from '../helpers/pki';
import { startHostileServer } from '../helpers/hostile-server';
import { runPeer, startTestServer } from '../server/helpers';

interface Call {
  scheme: string;
  content: Buffer;
}

/** A signer holding the key elsewhere: it answers after `delayMs`, and records each call. */
function slowSigner(keyFile: Parameters<typeof demo>[0], delayMs = 50): {
  signer: (scheme: Scheme, content: Buffer) => Promise<Buffer>;
  calls: Call[];
} {
  const key = createPrivateKey(demo(keyFile));
  const calls: Call[] = [];
  return {
    calls,
    signer: (scheme, content) => {
      calls.push({ scheme: scheme.name, content });
      return new Promise((resolve) => {
        setTimeout(() => resolve(sign(scheme.hash, content, { key, dsaEncoding: 'der' })), delayMs);
      });
    },
  };
}

const CONTEXT_PREFIX = Buffer.concat([Buffer.alloc(64, 0x20), Buffer.from('TLS 1.3, ')]);

test.serial('client: a signer that answers later signs CertificateVerify for s_server', async (t) => {
  const peer = await startOpensslServer(t, [
    '-cert', demoPath('server.pem'), '-key', demoPath('server-key.pem'),
    '-cert_chain', demoPath('intermediate.pem'),
    '-Verify', '1', '-CAfile', demoPath('ca.pem'), '-verify_return_error', '-www',
  ]);
  const { signer, calls } = slowSigner('client-ecdsa-key.pem');
  const socket = connect({
    host: LOOPBACK, port: peer.port, servername: SERVER_NAME, ca: demo('ca.pem'),
    cert: demo('client-ecdsa.pem'), signer,
  });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<boolean>((resolve, reject) => {
    socket.once('close', resolve);
    socket.once('error', reject);
  });
  socket.end('GET / HTTP/1.0\r\n\r\n');
  t.false(await closed);

  t.is(calls.length, 1);
  t.is(calls[0].scheme, 'ecdsa_secp256r1_sha256');
  t.true(calls[0].content.subarray(0, CONTEXT_PREFIX.length).equals(CONTEXT_PREFIX));
  t.true(calls[0].content.includes(Buffer.from('client CertificateVerify\0')));
  const page = Buffer.concat(chunks).toString('latin1');
  t.regex(page, /tls13 Demo Client \(ECDSA\)/);
  t.is(socket.signatureSchemes.local, 'ecdsa_secp256r1_sha256');
});

test.serial('server: a signer that answers later signs for openssl s_client', async (t) => {
  const { signer, calls } = slowSigner('server-key.pem');
  const served = await startTestServer(t, { key: undefined, signer });
  const { code, output } = await runPeer(t, 'openssl', [
    's_client', '-connect', `${LOOPBACK}:${served.port}`, '-tls1_3', '-CAfile', demoPath('ca.pem'),
    '-verify_return_error', '-servername', SERVER_NAME,
  ], 'hello\n');
  t.is(code, 0, output);
  t.regex(output, /Verify return code: 0 \(ok\)/);
  t.regex(output, /Peer signature type: ECDSA/);
  t.is(calls.length, 1);
  t.true(calls[0].content.includes(Buffer.from('server CertificateVerify\0')));
});

test.serial('client: a signer that fails ends the handshake with internal_error', async (t) => {
  const peer = await startOpensslServer(t, [
    '-cert', demoPath('server.pem'), '-key', demoPath('server-key.pem'),
    '-cert_chain', demoPath('intermediate.pem'), '-Verify', '1', '-CAfile', demoPath('ca.pem'),
  ]);
  const socket = connect({
    host: LOOPBACK, port: peer.port, servername: SERVER_NAME, ca: demo('ca.pem'),
    cert: demo('client-ecdsa.pem'),
    signer: () => Promise.reject(new Error('token removed')),
  });
  const error = await new Promise<Error & { code?: string; alert?: string }>((resolve) =>
    socket.once('error', resolve));
  t.is(error.code, 'ERR_TLS13_INTERNAL_ERROR');
  t.is(error.alert, 'internal_error');
  t.regex(error.message, /token removed/);
});

test.serial('client: a peer that floods while we sign is refused, within the bound', async (t) => {
  const { signer } = slowSigner('client-ecdsa-key.pem', 1000);
  const { port, done } = await startHostileServer(t, async (server) => {
    const hello = await server.clientHello();
    server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
    const certificateRequest = encodeCertificateRequest({
      certificateRequestContext: Buffer.alloc(0),
      extensions: [{
        type: 13,
        data: signatureSchemeList.encode([SignatureScheme.ecdsa_secp256r1_sha256]),
      }],
    });
    server.sendProtected(ContentType.handshake,
      Buffer.concat(server.serverFlight({ certificateRequest })));
    server.useApplicationKeys();
    // Far more than may arrive while the client waits for its signer.
    const filler = Buffer.alloc(16 * 1024, 0x61);
    for (let sent = 0; sent <= MAX_BUFFERED_WHILE_WAITING + filler.length; sent += filler.length) {
      server.sendProtected(ContentType.application_data, filler);
    }
  });
  const socket = connect({
    host: LOOPBACK, port, servername: SERVER_NAME, ca: demo('ca.pem'),
    cert: demo('client-ecdsa.pem'), signer,
  });
  const error = await new Promise<Error & { code?: string }>((resolve) =>
    socket.once('error', resolve));
  t.is(error.code, 'ERR_TLS13_UNEXPECTED_MESSAGE');
  t.regex(error.message, /while the handshake waited/);
  const server = await done;
  t.deepEqual(server.alertsFromClient().map((a) => a.description),
    [AlertDescription.unexpected_message]);
});
