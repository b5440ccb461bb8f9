// Our client against a hostile server (test/helpers/hostile-server.ts) whose Certificate message
// holds malformed DER: non-minimal and indefinite lengths, deep nesting, a huge INTEGER,
// trailing bytes, too many or too large certificates. Each must end the handshake at once with
// bad_certificate (or decode_error / illegal_parameter for the message framing), sent to the
// server, and never an internal_error or a hang.

import test from 'ava';
import { encodeCertificate, encodeEncryptedExtensions } from '../../lib/messages/authentication';
import { loadCertificates } from '../../lib/pki/certificate';
import { AlertDescription as A, ContentType as T } from '../../lib/protocol/registry';
import { connectTraced } from '../helpers/client';
import { startHostileServer } from '../helpers/hostile-server';
import { demo } from '../helpers/pki';

const serverDer = loadCertificates(demo('server.pem'))[0].der;

function tlv(tag: number, value: Buffer): Buffer {
  const n = value.length;
  const length = n < 0x80 ? Buffer.of(n) : n < 0x100 ? Buffer.of(0x81, n)
    : n < 0x10000 ? Buffer.of(0x82, n >> 8, n & 0xff) : Buffer.of(0x83, n >> 16, (n >> 8) & 0xff, n & 0xff);
  return Buffer.concat([Buffer.of(tag), length, value]);
}

function nested(depth: number): Buffer {
  let inner: Buffer = Buffer.of(0x05, 0x00);
  for (let i = 0; i < depth; i++) inner = tlv(0x30, inner);
  return inner;
}

/** The server certificate with its outer length in the long form it does not need. */
function nonMinimal(): Buffer {
  const body = serverDer.subarray(serverDer[1] === 0x82 ? 4 : 3);
  return Buffer.concat([Buffer.of(0x30, 0x83, 0, body.length >> 8, body.length & 0xff), body]);
}

function indefinite(): Buffer {
  const body = serverDer.subarray(serverDer[1] === 0x82 ? 4 : 3);
  return Buffer.concat([Buffer.of(0x30, 0x80), body, Buffer.of(0, 0)]);
}

const cases: Array<[string, () => Buffer[], number[]]> = [
  ['a non-minimal outer length', () => [nonMinimal()], [A.bad_certificate]],
  ['an indefinite length', () => [indefinite()], [A.bad_certificate]],
  ['2000 nested SEQUENCEs', () => [nested(2000)], [A.bad_certificate]],
  ['a 60000-byte INTEGER', () => [tlv(0x30, tlv(0x02, Buffer.alloc(60000, 0x7f)))],
    [A.bad_certificate]],
  ['a valid certificate with a trailing byte', () => [Buffer.concat([serverDer, Buffer.of(0)])],
    [A.bad_certificate]],
  ['one random byte', () => [Buffer.of(0x30)], [A.bad_certificate]],
  ['eleven copies of the server certificate', () => Array(11).fill(serverDer), [A.bad_certificate]],
  ['ten 12000-byte garbage certificates', () => Array.from({ length: 10 },
    (_, i) => tlv(0x30, Buffer.alloc(12000, i + 1))), [A.bad_certificate]],
  ['a 140000-byte Certificate message', () => [tlv(0x30, Buffer.alloc(140000, 1))],
    [A.illegal_parameter, A.record_overflow, A.decode_error]],
];

for (const [what, chain, expected] of cases) {
  test(`client: a server Certificate with ${what}: ${expected[0]}, at once`, async (t) => {
    const { port, done } = await startHostileServer(t, async (server) => {
      const hello = await server.clientHello();
      server.sendPlaintext(T.handshake, server.serverHello(hello));
      const flight = Buffer.concat([
        encodeEncryptedExtensions({ extensions: [] }),
        encodeCertificate({ certificateRequestContext: Buffer.alloc(0),
          certificateList: chain().map((certData) => ({ certData, extensions: [] })) }),
      ]);
      for (let at = 0; at < flight.length; at += 16384) {
        server.sendProtected(T.handshake, flight.subarray(at, at + 16384));
      }
    });
    const client = connectTraced(port);
    const start = Date.now();
    const error = await new Promise<Error & { code?: string }>((resolve) => {
      client.socket.once('error', resolve);
      setTimeout(() => resolve(Object.assign(new Error('no error'), { code: 'HANG' })), 4000);
    });
    t.not(error.code, 'HANG');
    t.not(error.code, 'ERR_TLS13_INTERNAL_ERROR');
    t.true(Date.now() - start < 3000);
    client.socket.destroy();
    const alerts = (await done).alertsFromClient().map((a) => a.description);
    t.is(alerts.length, 1);
    t.true(expected.includes(alerts[0]), `alert ${alerts[0]}: ${error.message}`);
  });
}
