// Our server (requestCert, rejectUnauthorized, ca.pem) receiving a client Certificate whose DER
// is malformed: garbage, indefinite and non-minimal lengths, deep nesting, a huge INTEGER, too
// many certificates. The client is ours, over TCP on 127.0.0.1, made to send chosen bytes: the
// certificates it loads come from parseCertificate's cache, so the test swaps the `der` of the
// cached demo client certificate for the bytes under test (and puts it back afterwards). Each
// must end with bad_certificate (or, for the framing, decode_error) and never internal_error.

import test from 'ava';
import { connect } from '../../lib/index';
import { loadCertificates } from '../../lib/pki/certificate';
import { demo } from '../helpers/pki';
import { startServer } from './raw';

const leaf = loadCertificates(demo('client-ecdsa.pem'))[0];
const goodDer = leaf.der;

function tlv(tag: number, value: Buffer): Buffer {
  const n = value.length;
  const length = n < 0x80 ? Buffer.of(n) : n < 0x100 ? Buffer.of(0x81, n)
    : n < 0x10000 ? Buffer.of(0x82, n >> 8, n & 0xff)
      : Buffer.of(0x83, n >> 16, (n >> 8) & 0xff, n & 0xff);
  return Buffer.concat([Buffer.of(tag), length, value]);
}

function nested(depth: number): Buffer {
  let inner: Buffer = Buffer.of(0x05, 0x00);
  for (let i = 0; i < depth; i++) inner = tlv(0x30, inner);
  return inner;
}

const body = goodDer.subarray(goodDer[1] === 0x82 ? 4 : 3);
const cases: Array<[string, Buffer, string[]]> = [
  ['garbage', Buffer.from('not a certificate at all'), ['ERR_TLS13_BAD_CERTIFICATE']],
  ['an indefinite length', Buffer.concat([Buffer.of(0x30, 0x80), body, Buffer.of(0, 0)]),
    ['ERR_TLS13_BAD_CERTIFICATE']],
  ['a non-minimal length',
    Buffer.concat([Buffer.of(0x30, 0x83, 0, body.length >> 8, body.length & 0xff), body]),
    ['ERR_TLS13_BAD_CERTIFICATE']],
  ['3000 nested SEQUENCEs', nested(3000), ['ERR_TLS13_BAD_CERTIFICATE']],
  ['a 50000-byte INTEGER', tlv(0x30, tlv(0x02, Buffer.alloc(50000, 0x11))),
    ['ERR_TLS13_BAD_CERTIFICATE']],
  ['one bit flipped in the signature',
    Buffer.concat([goodDer.subarray(0, -1), Buffer.of(goodDer[goodDer.length - 1] ^ 1)]),
    ['CERT_SIGNATURE_FAILURE', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'ERR_TLS13_BAD_CERTIFICATE']],
];

for (const [what, der, codes] of cases) {
  test.serial(`server: a client Certificate with ${what}: refused with a certificate error`,
    async (t) => {
      const running = await startServer(t);
      Object.defineProperty(leaf, 'der', { value: der, configurable: true, writable: true });
      t.teardown(() => {
        Object.defineProperty(leaf, 'der', { value: goodDer, configurable: true, writable: true });
      });
      const refused = new Promise<Error & { code?: string }>((resolve) =>
        running.server.once('tlsClientError', resolve));
      const client = connect({ host: '127.0.0.1', port: running.port, servername: 'localhost',
        ca: demo('ca.pem'), cert: demo('client-ecdsa.pem'), key: demo('client-ecdsa-key.pem') });
      const clientError = new Promise<Error & { code?: string }>((resolve) =>
        client.once('error', resolve));
      const error = await Promise.race([refused,
        new Promise<Error & { code?: string }>((resolve) =>
          setTimeout(() => resolve(Object.assign(new Error('hang'), { code: 'HANG' })), 4000))]);
      t.log(error.code, error.message);
      t.true(codes.includes(String(error.code)), `${error.code}: ${error.message}`);
      const seen = await Promise.race([clientError,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000))]);
      t.truthy(seen, 'our client heard of it');
      t.not(seen?.code, 'ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR');
      client.destroy();
    });
}
