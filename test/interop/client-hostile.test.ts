// Our client against a hostile server built from our own codecs: each breaks one rule of
// RFC 8446, and our client must fail with the matching code and send the alert the RFC names,
// which the server reads back from the wire (decrypting it when it came protected).

import test from 'ava';
import { AlertDescription, AlertLevel, ContentType } from '../../lib/protocol/registry';
import { MAX_PLAINTEXT } from '../../lib/record/limits';
import { alerts, connectTraced, failure } from '../helpers/client';
import { startHostileServer, type HostileConnection } from '../helpers/hostile-server';

interface Case {
  title: string;
  script: (server: HostileConnection) => Promise<void>;
  code: string;
  alert: keyof typeof AlertDescription;
  /** Whether our client must have finished its handshake before failing. */
  afterHandshake?: boolean;
}

const CASES: Case[] = [
  {
    title: 'an unprotected record over 2^14 bytes: record_overflow',
    code: 'ERR_TLS13_RECORD_OVERFLOW', alert: 'record_overflow',
    script: async (server) => {
      await server.clientHello();
      server.sendPlaintext(ContentType.handshake, Buffer.alloc(MAX_PLAINTEXT + 1, 2));
    },
  },
  {
    title: 'a protected record with 2^14 + 1 bytes of content: record_overflow',
    code: 'ERR_TLS13_RECORD_OVERFLOW', alert: 'record_overflow',
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
      server.sendProtected(ContentType.handshake, Buffer.alloc(MAX_PLAINTEXT + 1, 8));
    },
  },
  {
    title: 'a protected record whose inner plaintext is all zeros: unexpected_message',
    code: 'ERR_TLS13_UNEXPECTED_MESSAGE', alert: 'unexpected_message',
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
    script: async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(ContentType.handshake, server.serverHello(hello));
      server.sendProtected(ContentType.handshake,
        Buffer.concat(server.serverFlight({ corruptFinished: true })));
    },
  },
];

for (const c of CASES) {
  test(c.title, async (t) => {
    const { port, done } = await startHostileServer(t, c.script);
    const client = connectTraced(port);
    let secure = false;
    client.socket.on('secureConnect', () => {
      secure = true;
    });
    const { error, hadError } = await failure(client.socket);
    t.is(error.code, c.code, error.message);
    t.true(hadError);
    t.is(secure, c.afterHandshake === true);
    t.deepEqual(alerts(client.trace), [`sent ${c.alert}`]);

    const server = await done;
    t.deepEqual(server.alertsFromClient().map((a) => [a.level, a.description]),
      [[AlertLevel.fatal, AlertDescription[c.alert]]], 'the alert on the wire');
    if (c.afterHandshake) {
      t.true(server.alertsFromClient()[0].protected, 'after the handshake the alert is protected');
    }
  });
}

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
