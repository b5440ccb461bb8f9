// ClientHellos built byte by byte and written to a raw TCP socket on 127.0.0.1: each bad one gets
// its alert on the wire (one plaintext alert record, then the end), a tlsClientError with a
// stable code, and the server goes on to complete the next, good handshake.

import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import test, { type ExecutionContext } from 'ava';
import * as ext from '../../lib/messages/extensions';
import { encodeClientHello } from '../../lib/messages/hello';
import {
  AlertDescription, CipherSuite, ContentType, ExtensionType as E, NamedGroup, ProtocolVersion,
  SignatureScheme,
} from '../../lib/protocol/registry';
import { LOOPBACK, readCert, startTestServer, type TestServer } from './helpers';

interface HelloParts {
  /** supported_versions; null leaves the extension out. */
  versions?: number[] | null;
  groups?: number[];
  shares?: Array<{ group: number; keyExchange: Buffer }>;
  sessionId?: Buffer;
  random?: Buffer;
  extra?: ext.Extension[];
}

/** The last `length` bytes of the SubjectPublicKeyInfo: the raw point. */
function rawPublicKey(key: KeyObject, length: number): Buffer {
  return key.export({ format: 'der', type: 'spki' }).subarray(-length);
}

function x25519Share(): { group: number; keyExchange: Buffer } {
  const { publicKey } = generateKeyPairSync('x25519');
  return { group: NamedGroup.x25519, keyExchange: rawPublicKey(publicKey, 32) };
}

/** A ClientHello handshake message (header included) that our server would accept as it is. */
function clientHello(parts: HelloParts = {}): Buffer {
  const versions = parts.versions === undefined ? [ProtocolVersion.TLS1_3] : parts.versions;
  const extensions: ext.Extension[] = [
    { type: E.supported_groups,
      data: ext.namedGroupList.encode(parts.groups ?? [NamedGroup.x25519]) },
    { type: E.signature_algorithms,
      data: ext.signatureSchemeList.encode([SignatureScheme.ecdsa_secp256r1_sha256]) },
    { type: E.key_share, data: ext.keyShareClientHello.encode(parts.shares ?? [x25519Share()]) },
  ];
  if (versions) {
    const data = ext.supportedVersionsList.encode(versions);
    extensions.push({ type: E.supported_versions, data });
  }
  extensions.push(...(parts.extra ?? []));
  return encodeClientHello({
    legacyVersion: ProtocolVersion.TLS1_2,
    random: parts.random ?? randomBytes(32),
    legacySessionId: parts.sessionId ?? randomBytes(32),
    cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256],
    legacyCompressionMethods: Buffer.of(0),
    extensions,
  });
}

function handshakeRecord(message: Buffer): Buffer {
  const header = Buffer.of(ContentType.handshake, 0x03, 0x01, 0, 0);
  header.writeUInt16BE(message.length, 3);
  return Buffer.concat([header, message]);
}

/** Writes `bytes` and gathers what comes back until the server ends the connection. */
function exchange(port: number, bytes: Buffer,
  enough?: (received: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: LOOPBACK, port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end after ${Buffer.concat(chunks).toString('hex')}`));
    }, 10_000);
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (enough?.(Buffer.concat(chunks))) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.write(bytes);
  });
}

/** A good handshake by node:tls, to show the server still serves. */
async function goodHandshake(t: ExecutionContext, server: TestServer): Promise<void> {
  const secure = server.nextSecure();
  const client = tls.connect({
    host: LOOPBACK, port: server.port, servername: 'localhost', ca: readCert('ca.pem'),
    minVersion: 'TLSv1.3',
  });
  t.teardown(() => client.destroy());
  await new Promise<void>((resolve, reject) => {
    client.once('secureConnect', resolve);
    client.once('error', reject);
  });
  t.is((await secure).getProtocol(), 'TLSv1.3');
}

const cases: Array<[string, () => Buffer, keyof typeof AlertDescription, string]> = [
  ['no supported_versions', () => clientHello({ versions: null }),
    'protocol_version', 'ERR_TLS13_PROTOCOL_VERSION'],
  ['only TLS 1.2 in supported_versions', () => clientHello({ versions: [ProtocolVersion.TLS1_2] }),
    'protocol_version', 'ERR_TLS13_PROTOCOL_VERSION'],
  ['supported_groups twice', () => clientHello({
    extra: [{ type: E.supported_groups, data: ext.namedGroupList.encode([NamedGroup.x25519]) }],
  }), 'illegal_parameter', 'ERR_TLS13_ILLEGAL_PARAMETER'],
  ['a key share for a group not in supported_groups', () => clientHello({
    groups: [NamedGroup.secp256r1],
  }), 'illegal_parameter', 'ERR_TLS13_ILLEGAL_PARAMETER'],
  ['a message cut inside its extensions', () => {
    // The handshake length says what is there; the extensions block inside says more.
    const whole = clientHello();
    const cut = whole.subarray(0, whole.length - 10);
    cut.writeUIntBE(cut.length - 4, 1, 3);
    return cut;
  }, 'decode_error', 'ERR_TLS13_DECODE_ERROR'],
];

/** The bytes of a fatal alert in a plaintext TLS 1.2-versioned record. */
function alertRecord(alert: keyof typeof AlertDescription): number[] {
  return [ContentType.alert, 0x03, 0x03, 0x00, 0x02, 2, AlertDescription[alert]];
}

for (const [what, hello, alert, code] of cases) {
  test(`a ClientHello with ${what}: ${alert} (${AlertDescription[alert]})`, async (t) => {
    const server = await startTestServer(t);
    const refused = server.nextClientError();
    const received = await exchange(server.port, handshakeRecord(hello()));
    // One fatal alert in a plaintext record, then the end of the connection.
    t.deepEqual([...received], alertRecord(alert));
    const error = await refused;
    t.is(error.code, code);
    t.is(server.clientErrors.length, 1);
    t.true(server.records.some((r) =>
      r.kind === 'alert' && r.direction === 'sent' && r.alert === alert));
    await goodHandshake(t, server);
  });
}

/** The content types of the whole records in `bytes`. */
function recordTypes(bytes: Buffer): number[] {
  const types: number[] = [];
  for (let at = 0; at + 5 <= bytes.length;) {
    const length = bytes.readUInt16BE(at + 3);
    if (at + 5 + length > bytes.length) break;
    types.push(bytes[at]);
    at += 5 + length;
  }
  return types;
}

test('a ClientHello with a session id: the dummy ChangeCipherSpec after ServerHello', async (t) => {
  const server = await startTestServer(t);
  const hello = handshakeRecord(clientHello({ sessionId: randomBytes(32) }));
  const received = await exchange(server.port, hello,
    (bytes) => recordTypes(bytes).length >= 3);
  t.deepEqual(recordTypes(received).slice(0, 3),
    [ContentType.handshake, ContentType.change_cipher_spec, ContentType.application_data]);
});

test('a ClientHello without a session id gets no ChangeCipherSpec', async (t) => {
  const server = await startTestServer(t);
  const hello = handshakeRecord(clientHello({ sessionId: Buffer.alloc(0) }));
  const received = await exchange(server.port, hello,
    (bytes) => recordTypes(bytes).length >= 2);
  t.deepEqual(recordTypes(received).slice(0, 2),
    [ContentType.handshake, ContentType.application_data]);
});

test('five bad ClientHellos in a row, then a good handshake', async (t) => {
  const server = await startTestServer(t);
  for (const [, hello, alert] of cases) {
    const received = await exchange(server.port, handshakeRecord(hello()));
    t.is(received[6], AlertDescription[alert]);
  }
  t.deepEqual(server.clientErrors.map((e) => e.code), cases.map(([, , , code]) => code));
  await goodHandshake(t, server);
});

/** Splits `bytes` into whole records. */
function records(bytes: Buffer): Array<{ type: number; fragment: Buffer }> {
  const out: Array<{ type: number; fragment: Buffer }> = [];
  for (let at = 0; at + 5 <= bytes.length;) {
    const length = bytes.readUInt16BE(at + 3);
    if (at + 5 + length > bytes.length) break;
    out.push({ type: bytes[at], fragment: bytes.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

/** Sends a first ClientHello that needs a HelloRetryRequest; resolves with the open socket. */
async function retried(server: TestServer, sessionId: Buffer, random = randomBytes(32)): Promise<{
  socket: net.Socket; received: () => Buffer; closed: Promise<void>;
}> {
  const socket = net.connect({ host: LOOPBACK, port: server.port });
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(handshakeRecord(clientHello({
    groups: [NamedGroup.x25519, NamedGroup.secp256r1], sessionId, random,
  })));
  const deadline = Date.now() + 10_000;
  while (records(received).length < 2 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { socket, received: () => received, closed };
}

test('HelloRetryRequest on the wire: its random, session id echoed, group asked for', async (t) => {
  const server = await startTestServer(t, { ecdhCurve: 'P-256' });
  const sessionId = randomBytes(32);
  const { socket, received } = await retried(server, sessionId);
  t.teardown(() => socket.destroy());
  const [retry, changeCipherSpec] = records(received());
  t.is(retry.type, ContentType.handshake);
  const body = retry.fragment.subarray(4);
  t.is(retry.fragment[0], 2); // server_hello
  // The random that marks a HelloRetryRequest (RFC 8446, Section 4.1.3), written out here.
  t.is(body.subarray(2, 34).toString('hex'),
    'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');
  t.deepEqual(body.subarray(35, 35 + body[34]), sessionId);
  t.is(changeCipherSpec.type, ContentType.change_cipher_spec);
  const keyShare = Buffer.of(0x00, E.key_share, 0x00, 0x02, 0x00, NamedGroup.secp256r1);
  t.true(retry.fragment.includes(keyShare));
});

test('a second ClientHello with another session id: illegal_parameter', async (t) => {
  const server = await startTestServer(t, { ecdhCurve: 'P-256' });
  const refused = server.nextClientError();
  const { socket, received, closed } = await retried(server, randomBytes(32));
  t.teardown(() => socket.destroy());
  const before = received().length;
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const share = { group: NamedGroup.secp256r1, keyExchange: rawPublicKey(publicKey, 65) };
  socket.write(handshakeRecord(clientHello({
    groups: [NamedGroup.x25519, NamedGroup.secp256r1], shares: [share], sessionId: randomBytes(32),
  })));
  await closed;
  t.deepEqual([...received().subarray(before)], alertRecord('illegal_parameter'));
  t.is((await refused).code, 'ERR_TLS13_ILLEGAL_PARAMETER');
  await goodHandshake(t, server);
});

test('a second ClientHello still without the share asked for: illegal_parameter', async (t) => {
  const server = await startTestServer(t, { ecdhCurve: 'P-256' });
  const refused = server.nextClientError();
  const sessionId = randomBytes(32);
  const random = randomBytes(32);
  const { socket, received, closed } = await retried(server, sessionId, random);
  t.teardown(() => socket.destroy());
  const before = received().length;
  socket.write(handshakeRecord(clientHello({
    groups: [NamedGroup.x25519, NamedGroup.secp256r1], sessionId, random,
  })));
  await closed;
  t.is(received()[before + 6], AlertDescription.illegal_parameter);
  const error = await refused;
  t.is(error.code, 'ERR_TLS13_ILLEGAL_PARAMETER');
  t.regex(error.message, /key share for secp256r1 after HelloRetryRequest/);
});

test('a client that connects and says nothing meets handshakeTimeout', async (t) => {
  const server = await startTestServer(t, { handshakeTimeout: 300 });
  const refused = server.nextClientError();
  const started = Date.now();
  const received = await exchange(server.port, Buffer.alloc(0));
  t.is(received.length, 0);
  t.true(Date.now() - started >= 250);
  t.is((await refused).code, 'ERR_TLS13_HANDSHAKE_TIMEOUT');
  await goodHandshake(t, server);
});
