// Our client against a hostile server built from our own codecs: each breaks one rule of
// RFC 8446, and our client must fail with the matching code and send the alert the RFC names,
// which the server reads back from the wire (decrypting it when it came protected).

import test from 'ava';
import type { ConnectOptions } from '../../lib/connect';
import { groupByName, type Group } from '../../lib/crypto/groups';
import type { ClientHello } from '../../lib/messages/hello';
import { encodeCertificateRequest } from '../../lib/messages/authentication';
import {
  cookie as cookieExtension, protocolNameList, signatureSchemeList,
} from '../../lib/messages/extensions';
import { encodeKeyUpdate, encodeNewSessionTicket } from '../../lib/messages/post-handshake';
import {
  AlertDescription, AlertLevel, CipherSuite, ContentType, DOWNGRADE_TLS12, ExtensionType,
  HandshakeType,
  KeyUpdateRequest, NamedGroup, SignatureScheme,
} from '../../lib/protocol/registry';
import { MAX_PLAINTEXT } from '../../lib/record/limits';
import { alerts, connectTraced, failure, findMessage, receivedText } from '../helpers/client';
import { startHostileServer, type HostileConnection } from '../helpers/hostile-server';
import { MAX_KEPT_TICKETS } from '../../lib/socket';

interface Case {
  title: string;
  script: (server: HostileConnection) => Promise<void>;
  code: string;
  alert: keyof typeof AlertDescription;
  /** What the error message must say, so the right check is the one that fired. */
  reason: RegExp;
  /** Whether our client must have finished its handshake before failing. */
  afterHandshake?: boolean;
  client?: ConnectOptions;
}

const P256 = groupByName('P-256') as Group;
const AES_256 = CipherSuite.TLS_AES_256_GCM_SHA384;

/** ClientHello, HelloRetryRequest for P-256, and the second ClientHello. */
async function retried(server: HostileConnection): Promise<ClientHello> {
  const first = await server.clientHello();
  server.sendPlaintext(ContentType.handshake, server.helloRetryRequest(first, P256.code));
  return server.clientHello();
}

/** For each case run, whether the client's alert came protected. */
const protectedAlerts: boolean[] = [];

const CASES: Case[] = [
  {
    title: 'an unprotected record over 2^14 bytes: record_overflow',
    code: 'ERR_TLS13_RECORD_OVERFLOW', alert: 'record_overflow',
    reason: /plaintext record of 16385 bytes/,
    script: async (server) => {
      await server.clientHello();
      server.sendPlaintext(ContentType.handshake, Buffer.alloc(MAX_PLAINTEXT + 1, 2));
    },
  },
  {
    title: 'a protected record with 2^14 + 1 bytes of content: record_overflow',
    code: 'ERR_TLS13_RECORD_OVERFLOW', alert: 'record_overflow',
    reason: /inner plaintext in one record/,
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
      server.sendProtected(ContentType.handshake, Buffer.alloc(MAX_PLAINTEXT + 1, 8));
    },
  },
  {
    title: 'a protected record whose inner plaintext is all zeros: unexpected_message',
    code: 'ERR_TLS13_UNEXPECTED_MESSAGE', alert: 'unexpected_message',
    reason: /no content type/,
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
      // Content type 0 after zero bytes: nothing but padding (RFC 8446, Section 5.4).
      server.sendProtected(ContentType.invalid, Buffer.alloc(24));
    },
  },
  {
    title: 'ChangeCipherSpec after the server Finished: unexpected_message',
    code: 'ERR_TLS13_UNEXPECTED_MESSAGE', alert: 'unexpected_message', afterHandshake: true,
    reason: /ChangeCipherSpec outside the handshake/,
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
      // The one allowed dummy ChangeCipherSpec, then the flight, then one too many.
      server.sendPlaintext(ContentType.change_cipher_spec, Buffer.of(1));
      server.sendProtected(ContentType.handshake, Buffer.concat(server.serverFlight()));
      setTimeout(() => server.sendPlaintext(ContentType.change_cipher_spec, Buffer.of(1)), 50);
    },
  },
  {
    title: 'ServerHello and EncryptedExtensions in one record: unexpected_message',
    code: 'ERR_TLS13_UNEXPECTED_MESSAGE', alert: 'unexpected_message',
    reason: /spans a key change/,
    script: async (server) => {
      const hello = await server.clientHello();
      const serverHello = server.serverHello(hello);
      const [encryptedExtensions] = server.serverFlight();
      // EncryptedExtensions would span the change to handshake keys (RFC 8446, Section 5.1).
      server.sendPlaintext(ContentType.handshake,
        Buffer.concat([serverHello, encryptedExtensions]));
    },
  },
  {
    title: 'a legacy_session_id echo that is not ours: illegal_parameter',
    code: 'ERR_TLS13_ILLEGAL_PARAMETER', alert: 'illegal_parameter',
    reason: /does not echo our legacy_session_id/,
    script: async (server) => {
      const hello = await server.clientHello();
      const wrong = Buffer.from(hello.legacySessionId);
      wrong[0] ^= 0xff;
      server.sendPlaintext(ContentType.handshake,
        server.serverHello(hello, { legacySessionId: wrong }));
    },
  },
  {
    title: 'a server Finished that does not match the transcript: decrypt_error',
    code: 'ERR_TLS13_DECRYPT_ERROR', alert: 'decrypt_error',
    reason: /Finished does not match/,
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
      server.sendProtected(ContentType.handshake,
        Buffer.concat(server.serverFlight({ corruptFinished: true })));
    },
  },
  {
    title: 'a second HelloRetryRequest: unexpected_message',
    code: 'ERR_TLS13_UNEXPECTED_MESSAGE', alert: 'unexpected_message',
    reason: /second HelloRetryRequest/,
    script: async (server) => {
      const second = await retried(server);
      server.sendPlaintext(ContentType.handshake,
        server.helloRetryRequest(second, NamedGroup.secp384r1));
    },
  },
  {
    title: 'HelloRetryRequest for the group we sent a share for: illegal_parameter',
    code: 'ERR_TLS13_ILLEGAL_PARAMETER', alert: 'illegal_parameter',
    reason: /already sent a key share/,
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake,
        server.helloRetryRequest(hello, NamedGroup.x25519));
    },
  },
  {
    title: 'HelloRetryRequest for a group we did not offer: illegal_parameter',
    code: 'ERR_TLS13_ILLEGAL_PARAMETER', alert: 'illegal_parameter',
    reason: /secp384r1, which was not offered/,
    client: { ecdhCurve: 'X25519:P-256' },
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake,
        server.helloRetryRequest(hello, NamedGroup.secp384r1));
    },
  },
  {
    title: 'ServerHello changing the suite of the HelloRetryRequest: illegal_parameter',
    code: 'ERR_TLS13_ILLEGAL_PARAMETER', alert: 'illegal_parameter',
    reason: /changed cipher suite after HelloRetryRequest/,
    script: async (server) => {
      const second = await retried(server);
      server.sendPlaintext(ContentType.handshake,
        server.serverHello(second, { group: P256, cipherSuite: AES_256 }));
    },
  },
  {
    title: 'ServerHello with a suite we did not offer: illegal_parameter',
    code: 'ERR_TLS13_ILLEGAL_PARAMETER', alert: 'illegal_parameter',
    reason: /cipher suite 0x1301, which was not offered/,
    client: { ciphers: 'TLS_AES_256_GCM_SHA384' },
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake,
        server.serverHello(hello, { cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256 }));
    },
  },
  {
    title: 'a TLS 1.2 ServerHello with the downgrade sentinel: illegal_parameter',
    code: 'ERR_TLS13_ILLEGAL_PARAMETER', alert: 'illegal_parameter',
    reason: /downgrade sentinel/,
    script: async (server) => {
      const hello = await server.clientHello();
      const random = Buffer.concat([Buffer.alloc(24, 0x5a), DOWNGRADE_TLS12]);
      server.sendPlaintext(ContentType.handshake,
        server.serverHello(hello, { random, supportedVersions: false }));
    },
  },
  {
    title: 'a TLS 1.2 ServerHello: protocol_version',
    code: 'ERR_TLS13_PROTOCOL_VERSION', alert: 'protocol_version',
    reason: /does not speak TLS 1\.3/,
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake,
        server.serverHello(hello, { supportedVersions: false }));
    },
  },
  {
    title: 'a CertificateVerify signature that does not verify: decrypt_error',
    code: 'ERR_TLS13_DECRYPT_ERROR', alert: 'decrypt_error',
    reason: /CertificateVerify signature does not verify/,
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
      server.sendProtected(ContentType.handshake,
        Buffer.concat(server.serverFlight({ corruptSignature: true })));
    },
  },
  {
    title: 'CertificateVerify with rsa_pkcs1_sha256: illegal_parameter',
    code: 'ERR_TLS13_ILLEGAL_PARAMETER', alert: 'illegal_parameter',
    reason: /rsa_pkcs1_sha256, which TLS 1\.3 forbids/,
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
      server.sendProtected(ContentType.handshake, Buffer.concat(
        server.serverFlight({ algorithm: SignatureScheme.rsa_pkcs1_sha256 })));
    },
  },
  {
    title: 'an empty server Certificate: decode_error',
    code: 'ERR_TLS13_DECODE_ERROR', alert: 'decode_error',
    reason: /empty Certificate/,
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
      const [encryptedExtensions, certificate] = server.serverFlight({ emptyCertificate: true });
      server.sendProtected(ContentType.handshake,
        Buffer.concat([encryptedExtensions, certificate]));
    },
  },
  {
    title: 'application data before the server Finished: unexpected_message',
    code: 'ERR_TLS13_UNEXPECTED_MESSAGE', alert: 'unexpected_message',
    reason: /application data before the handshake ended/,
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
      server.sendProtected(ContentType.application_data, Buffer.from('too early'));
    },
  },
  {
    title: 'KeyUpdate with request_update 2: illegal_parameter',
    code: 'ERR_TLS13_ILLEGAL_PARAMETER', alert: 'illegal_parameter', afterHandshake: true,
    reason: /request_update 2/,
    script: async (server) => {
      await completeHandshake(server);
      server.sendProtected(ContentType.handshake, Buffer.of(HandshakeType.key_update, 0, 0, 1, 2));
    },
  },
  {
    title: 'CertificateRequest after the handshake, never offered: unexpected_message',
    code: 'ERR_TLS13_UNEXPECTED_MESSAGE', alert: 'unexpected_message', afterHandshake: true,
    reason: /certificate_request after the handshake/,
    script: async (server) => {
      await completeHandshake(server);
      server.sendProtected(ContentType.handshake, encodeCertificateRequest({
        certificateRequestContext: Buffer.of(7), extensions: [],
      }));
    },
  },
  {
    title: 'Finished and NewSessionTicket in one record: unexpected_message',
    code: 'ERR_TLS13_UNEXPECTED_MESSAGE', alert: 'unexpected_message',
    reason: /spans a key change/,
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
      server.sendProtected(ContentType.handshake,
        Buffer.concat([...server.serverFlight(), ticket()]));
    },
  },
  {
    title: 'KeyUpdate and NewSessionTicket in one record: unexpected_message',
    code: 'ERR_TLS13_UNEXPECTED_MESSAGE', alert: 'unexpected_message', afterHandshake: true,
    reason: /spans a key change/,
    script: async (server) => {
      await completeHandshake(server);
      const keyUpdate = encodeKeyUpdate({ requestUpdate: KeyUpdateRequest.update_not_requested });
      server.sendProtected(ContentType.handshake, Buffer.concat([keyUpdate, ticket()]));
    },
  },
  {
    title: 'ALPN in EncryptedExtensions, never offered: unsupported_extension',
    code: 'ERR_TLS13_UNSUPPORTED_EXTENSION', alert: 'unsupported_extension',
    reason: /application_layer_protocol_negotiation in EncryptedExtensions, which was not offered/,
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
      server.sendProtected(ContentType.handshake, Buffer.concat(server.serverFlight({
        encryptedExtensions: [{
          type: ExtensionType.application_layer_protocol_negotiation,
          data: protocolNameList.encode(['h2']),
        }],
      })));
    },
  },
  {
    title: 'supported_versions in EncryptedExtensions: illegal_parameter',
    code: 'ERR_TLS13_ILLEGAL_PARAMETER', alert: 'illegal_parameter',
    reason: /supported_versions in EncryptedExtensions, where it is not allowed/,
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
      server.sendProtected(ContentType.handshake, Buffer.concat(server.serverFlight({
        encryptedExtensions: [{
          type: ExtensionType.supported_versions, data: Buffer.of(3, 4),
        }],
      })));
    },
  },
  {
    title: 'a CertificateRequest with a context in the handshake: illegal_parameter',
    code: 'ERR_TLS13_ILLEGAL_PARAMETER', alert: 'illegal_parameter',
    reason: /CertificateRequest has a non-empty context/,
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
      server.sendProtected(ContentType.handshake, Buffer.concat(server.serverFlight({
        certificateRequest: encodeCertificateRequest({
          certificateRequestContext: Buffer.of(1), extensions: [SIGNATURE_ALGORITHMS],
        }),
      })));
    },
  },
  {
    title: 'a CertificateRequest without signature_algorithms: missing_extension',
    code: 'ERR_TLS13_MISSING_EXTENSION', alert: 'missing_extension',
    reason: /CertificateRequest has no signature_algorithms/,
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
      server.sendProtected(ContentType.handshake, Buffer.concat(server.serverFlight({
        certificateRequest: encodeCertificateRequest({
          certificateRequestContext: Buffer.alloc(0), extensions: [],
        }),
      })));
    },
  },
];

const SIGNATURE_ALGORITHMS = {
  type: ExtensionType.signature_algorithms,
  data: signatureSchemeList.encode([SignatureScheme.ecdsa_secp256r1_sha256]),
};

function ticket(): Buffer {
  return encodeNewSessionTicket({
    ticketLifetime: 3600, ticketAgeAdd: 1, ticketNonce: Buffer.of(0), ticket: Buffer.alloc(32, 7),
    extensions: [],
  });
}

/** A full, correct server side of the handshake, then application keys. */
async function completeHandshake(server: HostileConnection): Promise<void> {
  const hello = await server.clientHello();
  server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
  server.sendProtected(ContentType.handshake, Buffer.concat(server.serverFlight()));
  server.useApplicationKeys();
  // Let the client finish before the next record.
  await new Promise((resolve) => setTimeout(resolve, 50));
}

for (const c of CASES) {
  test(c.title, async (t) => {
    const { port, done } = await startHostileServer(t, c.script);
    const client = connectTraced(port, c.client);
    let secure = false;
    client.socket.on('secureConnect', () => {
      secure = true;
    });
    const { error, hadError } = await failure(client.socket);
    t.is(error.code, c.code, error.message);
    t.regex(error.message, c.reason);
    t.true(hadError);
    t.is(secure, c.afterHandshake === true);
    t.deepEqual(alerts(client.trace), [`sent ${c.alert}`]);

    const server = await done;
    t.deepEqual(server.alertsFromClient().map((a) => [a.level, a.description]),
      [[AlertLevel.fatal, AlertDescription[c.alert]]], 'the alert on the wire');
    // Once the client has its handshake keys (from the ServerHello on), its alert goes
    // protected, as RFC 8446, Appendix A.1 recommends; before them it can only go in the clear.
    const keyed = client.trace.some((r) => r.kind === 'keys' && r.direction === 'write');
    t.is(server.alertsFromClient()[0].protected, keyed, 'the alert is protected once keys exist');
    if (c.afterHandshake) t.true(keyed);
    protectedAlerts.push(keyed);
  });
}

test.after('the cases cover alerts both before and after the client has handshake keys', () => {
  if (!protectedAlerts.includes(true) || !protectedAlerts.includes(false)) {
    throw new Error(`protected alerts seen: ${JSON.stringify(protectedAlerts)}`);
  }
});

test('the hostile server, playing fair, completes a handshake with our client', async (t) => {
  const { port, done } = await startHostileServer(t, async (server) => {
    const hello = await server.clientHello();
    server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
    server.sendProtected(ContentType.handshake, Buffer.concat(server.serverFlight()));
  });
  const client = connectTraced(port);
  await new Promise<void>((resolve, reject) => {
    client.socket.once('secureConnect', resolve);
    client.socket.once('error', reject);
  });
  t.true(client.socket.authorized);
  t.is(client.socket.getCipher()?.name, 'TLS_AES_128_GCM_SHA256');
  client.socket.end();
  const server = await done;
  t.deepEqual(server.alertsFromClient().map((a) => [a.level, a.description, a.protected]),
    [[AlertLevel.warning, AlertDescription.close_notify, true]]);
});

test('the hostile server, playing fair, asks for P-256 by HelloRetryRequest', async (t) => {
  const { port, done } = await startHostileServer(t, async (server) => {
    const second = await retried(server);
    server.sendPlaintext(ContentType.handshake, server.serverHello(second, { group: P256 }));
    server.sendProtected(ContentType.handshake, Buffer.concat(server.serverFlight()));
  });
  const client = connectTraced(port);
  await new Promise<void>((resolve, reject) => {
    client.socket.once('secureConnect', resolve);
    client.socket.once('error', reject);
  });
  t.is(findMessage(client.trace, 'received', 'HelloRetryRequest')?.fields.selected_group,
    'secp256r1');
  t.deepEqual(findMessage(client.trace, 'sent', 'ClientHello')?.fields.key_share, ['x25519']);
  t.is(client.socket.getEphemeralKeyInfo()?.name, 'secp256r1');
  client.socket.end();
  t.deepEqual((await done).alertsFromClient().map((a) => a.description),
    [AlertDescription.close_notify]);
});

test('a fatal alert from the server mid-handshake: its code, and no alert of ours', async (t) => {
  const { port, done } = await startHostileServer(t, async (server) => {
    const hello = await server.clientHello();
    server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
    server.sendProtected(ContentType.alert,
      Buffer.of(AlertLevel.fatal, AlertDescription.handshake_failure));
  });
  const client = connectTraced(port);
  const { error, hadError } = await failure(client.socket);
  t.is(error.code, 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
  t.true(hadError);
  t.deepEqual(alerts(client.trace), ['received handshake_failure']);
  t.deepEqual((await done).alertsFromClient(), []);
});

test('7-byte padded records across message boundaries, empty application data', async (t) => {
  const { port, done } = await startHostileServer(t, async (server) => {
    const hello = await server.clientHello();
    server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
    const flight = Buffer.concat(server.serverFlight());
    // Records of 7 bytes each cut across every message boundary, each padded with 5 zeros.
    for (let at = 0; at < flight.length; at += 7) {
      server.sendProtected(ContentType.handshake, flight.subarray(at, at + 7), 5);
    }
    server.useApplicationKeys();
    server.sendProtected(ContentType.application_data, Buffer.alloc(0), 40);
    server.sendProtected(ContentType.application_data, Buffer.from('padded hello'), 300);
  });
  const client = connectTraced(port);
  await new Promise<void>((resolve, reject) => {
    client.socket.once('secureConnect', resolve);
    client.socket.once('error', reject);
  });
  t.is(await receivedText(client, 'padded hello'), 'padded hello');
  client.socket.end();
  t.deepEqual((await done).alertsFromClient().map((a) => a.description),
    [AlertDescription.close_notify]);
});

test('a HelloRetryRequest with only a cookie: echoed in the second ClientHello', async (t) => {
  const cookie = Buffer.from('a cookie of the hostile server');
  let echoed: Buffer | undefined;
  const { port, done } = await startHostileServer(t, async (server) => {
    const first = await server.clientHello();
    server.sendPlaintext(ContentType.handshake,
      server.helloRetryRequest(first, undefined, { cookie }));
    const second = await server.clientHello();
    const extension = second.extensions.find((e) => e.type === ExtensionType.cookie);
    echoed = extension && cookieExtension.decode(extension.data);
    server.sendPlaintext(ContentType.handshake, server.serverHello(second));
    server.sendProtected(ContentType.handshake, Buffer.concat(server.serverFlight()));
  });
  const client = connectTraced(port);
  await new Promise<void>((resolve, reject) => {
    client.socket.once('secureConnect', resolve);
    client.socket.once('error', reject);
  });
  t.deepEqual(echoed, cookie);
  t.is(findMessage(client.trace, 'received', 'HelloRetryRequest')?.fields.selected_group, '(none)');
  client.socket.end();
  await done;
});

test('twenty tickets from the server: every one reported, only the newest few kept', async (t) => {
  const { port, done } = await startHostileServer(t, async (server) => {
    await completeHandshake(server);
    for (let i = 0; i < 20; i++) {
      server.sendProtected(ContentType.handshake, encodeNewSessionTicket({
        ticketLifetime: 60, ticketAgeAdd: i, ticketNonce: Buffer.of(i),
        ticket: Buffer.alloc(32, i), extensions: [],
      }));
    }
    server.sendProtected(ContentType.application_data, Buffer.from('after tickets'));
  });
  const client = connectTraced(port);
  t.is(await receivedText(client, 'after tickets'), 'after tickets');
  t.is(client.tickets.length, 20);
  t.is(client.socket.tickets.length, MAX_KEPT_TICKETS);
  t.deepEqual(client.socket.tickets.map((ticket) => ticket.ticketAgeAdd),
    [12, 13, 14, 15, 16, 17, 18, 19]);
  client.socket.end();
  await done;
});
