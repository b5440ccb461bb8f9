// Our client against bytes a malicious server writes, over an in-memory transport so that each
// case is quick and deterministic: garbage, mutated ServerHellos (from a valid one answering
// the client's own key share), and a server that never answers. Every case must end with an
// error carrying a protocol code (never internal_error, never an uncaught exception), or, for a
// ServerHello that stays valid, go on waiting for the encrypted flight.

import { generateKeyPairSync } from 'node:crypto';
import { Duplex } from 'node:stream';
import test from 'ava';
import { connect, type TlsSocket } from '../../lib/index';
import * as ext from '../../lib/messages/extensions';
import { decodeClientHello, encodeServerHello } from '../../lib/messages/hello';
import {
  CipherSuite, ContentType as T, ExtensionType as E, NamedGroup, ProtocolVersion,
} from '../../lib/protocol/registry';
import { demo } from '../helpers/pki';
import { record, records, seeded } from './raw';
import { settle } from './pair';

interface Outcome {
  error: (Error & { code?: string }) | undefined;
  written: Buffer;
  client: TlsSocket;
}

/** A client on an in-memory transport; `answer` gets its ClientHello and returns our reply. */
async function run(answer: (clientHelloMessage: Buffer) => Buffer | undefined): Promise<Outcome> {
  const written: Buffer[] = [];
  let transport!: Duplex;
  let replied = false;
  transport = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk);
      if (!replied) {
        const hello = records(Buffer.concat(written)).find((r) => r.type === T.handshake);
        if (hello) {
          replied = true;
          const reply = answer(hello.fragment);
          if (reply) setImmediate(() => transport.push(reply));
        }
      }
      callback();
    },
  });
  const client = connect({ socket: transport, servername: 'localhost', ca: demo('ca.pem') });
  let error: Outcome['error'];
  client.on('error', (e: Error) => { error = e; });
  await settle(8);
  return { error, written: Buffer.concat(written), client };
}

/** A valid ServerHello (header included) for the client's x25519 share. */
function serverHello(clientHelloMessage: Buffer): Buffer {
  const hello = decodeClientHello(clientHelloMessage.subarray(4));
  const pub = generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' })
    .subarray(-32);
  void hello;
  return encodeServerHello({
    legacyVersion: ProtocolVersion.TLS1_2,
    random: Buffer.alloc(32, 0x5a),
    legacySessionId: hello.legacySessionId,
    cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
    legacyCompressionMethod: 0,
    extensions: [
      { type: E.supported_versions, data: ext.supportedVersionSelected.encode(ProtocolVersion.TLS1_3) },
      { type: E.key_share, data: ext.keyShareServerHello.encode({ group: NamedGroup.x25519, keyExchange: pub }) },
    ],
  });
}

function mutate(rnd: (n: number) => number, message: Buffer): Buffer {
  const out = Buffer.from(message);
  switch (rnd(5)) {
    case 0:
      for (let i = 0, n = 1 + rnd(3); i < n; i++) out[rnd(out.length)] = rnd(256);
      return out;
    case 1: {
      const cut = out.subarray(0, 4 + rnd(out.length - 4));
      cut.writeUIntBE(cut.length - 4, 1, 3);
      return cut;
    }
    case 2: {
      const at = rnd(out.length);
      return Buffer.concat([out.subarray(0, at), Buffer.of(rnd(256), rnd(256)), out.subarray(at)]);
    }
    case 3:
      out.writeUInt16BE(rnd(0x10000), rnd(out.length - 1));
      return out;
    default:
      out[rnd(out.length)] ^= 1 << rnd(8);
      return out;
  }
}

test('client: 300 mutated ServerHellos: a protocol error or a wait, never internal_error',
  async (t) => {
    const rnd = seeded(4242);
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < 300; i++) {
      const { error, client } = await run((ch) => record(T.handshake, mutate(rnd, serverHello(ch))));
      const key = error ? String(error.code) : client.destroyed ? 'destroyed' : 'waiting';
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      client.destroy();
    }
    t.log(outcomes);
    t.is(outcomes.ERR_TLS13_INTERNAL_ERROR ?? 0, 0);
    t.is(outcomes.destroyed ?? 0, 0);
  });

test('client: 200 garbage replies (random bytes): an error with a code, no crash', async (t) => {
  const rnd = seeded(99);
  for (let i = 0; i < 200; i++) {
    const garbage = Buffer.from(Array.from({ length: 1 + rnd(300) }, () => rnd(256)));
    // Half of them look like a handshake record header with a random length.
    if (i % 2 === 0) garbage[0] = T.handshake;
    const { error, client } = await run(() => garbage);
    if (error) t.not(error.code, 'ERR_TLS13_INTERNAL_ERROR');
    client.destroy();
  }
  t.pass();
});

test('client: a server that never answers: the timeout option fires during the handshake',
  async (t) => {
    const transport = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
    const client = connect({ socket: transport, servername: 'localhost', ca: demo('ca.pem'),
      timeout: 300 });
    client.on('error', () => undefined);
    const start = Date.now();
    await new Promise<void>((resolve) => client.once('timeout', () => resolve()));
    t.true(Date.now() - start < 1500);
    client.destroy();
  });
