// Valid encodings with bytes changed at random (seeded, so a failure can be replayed): every
// decoder either returns or throws DecodeError, never a RangeError or TypeError from below.

import test from 'ava';
import { Reader } from '../../lib/codec/reader';
import { DecodeError } from '../../lib/errors';
import {
  decodeCertificate,
  decodeCertificateRequest,
  decodeCertificateVerify,
  decodeEncryptedExtensions,
  decodeFinished,
} from '../../lib/messages/authentication';
import * as ext from '../../lib/messages/extensions';
import { decodeClientHello, decodeServerHello } from '../../lib/messages/hello';
import { decodeKeyUpdate, decodeNewSessionTicket } from '../../lib/messages/post-handshake';
import { Trace } from '../vectors/rfc8448';
import { hex, thrown } from './helpers';

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

/** Changes 1 to 3 bytes; sometimes also cuts the end or adds bytes. */
function mutate(input: Buffer, next: () => number): Buffer {
  let out = Buffer.from(input);
  const changes = 1 + Math.floor(next() * 3);
  for (let i = 0; i < changes && out.length > 0; i++) {
    out[Math.floor(next() * out.length)] = Math.floor(next() * 256);
  }
  const shape = next();
  if (shape < 0.1) out = out.subarray(0, Math.floor(next() * out.length));
  else if (shape < 0.2) out = Buffer.concat([out, Buffer.alloc(1 + Math.floor(next() * 4), 0x01)]);
  return out;
}

const body = (raw: Buffer): Buffer => raw.subarray(4);
const s3 = new Trace(3);
const s5 = new Trace(5);
const s6 = new Trace(6);

const DECODERS: Array<[string, (b: Buffer) => unknown, Buffer]> = [
  ['ClientHello', decodeClientHello, body(s3.message('client', 'ClientHello'))],
  ['ClientHello (HRR retry)', decodeClientHello, body(s5.message('client', 'ClientHello', 1))],
  ['ServerHello', decodeServerHello, body(s3.message('server', 'ServerHello'))],
  ['HelloRetryRequest', decodeServerHello, body(s5.message('server', 'ServerHello', 0))],
  [
    'EncryptedExtensions',
    decodeEncryptedExtensions,
    body(s3.message('server', 'EncryptedExtensions')),
  ],
  [
    'CertificateRequest',
    decodeCertificateRequest,
    body(s6.message('server', 'CertificateRequest')),
  ],
  ['Certificate', decodeCertificate, body(s3.message('server', 'Certificate'))],
  ['CertificateVerify', decodeCertificateVerify, body(s3.message('server', 'CertificateVerify'))],
  ['Finished', (b) => decodeFinished(b, 32), body(s3.message('server', 'Finished'))],
  ['NewSessionTicket', decodeNewSessionTicket, body(s3.message('server', 'NewSessionTicket'))],
  ['KeyUpdate', decodeKeyUpdate, hex('01')],
  ['supported_versions', ext.supportedVersionsList.decode, hex('04 0304 0303')],
  ['supported_groups', ext.namedGroupList.decode, hex('0006 001d 0017 0018')],
  ['signature_algorithms', ext.signatureSchemeList.decode, hex('0004 0403 0804')],
  ['key_share', ext.keyShareClientHello.decode, hex('000c 001d 0002 aabb 0017 0002 ccdd')],
  ['key_share (ServerHello)', ext.keyShareServerHello.decode, hex('001d 0002 aabb')],
  ['server_name', ext.serverNameList.decode, hex('0008 00 0005 6c6f63616c')],
  ['alpn', ext.protocolNameList.decode, hex('000c 02 6832 08 687474702f312e31')],
  ['cookie', ext.cookie.decode, hex('0003 aabbcc')],
  ['certificate_authorities', ext.certificateAuthorities.decode, hex('0007 0005 3003020100')],
  ['psk_key_exchange_modes', ext.pskKeyExchangeModes.decode, hex('02 01 00')],
  [
    'extension block',
    (b) => {
      const r = new Reader(b);
      ext.decodeExtensions(r, 'Test');
      r.end('Test');
    },
    hex('000c 0000 0000 002b 0004 02 0304 ff'),
  ],
];

for (const [name, decode, valid] of DECODERS) {
  test(`${name}: 1,500 mutations decode or throw DecodeError, nothing else`, (t) => {
    t.notThrows(() => decode(valid), 'the unmutated input decodes');
    const next = prng(name.length * 1_000_003 + valid.length);
    const wrong: string[] = [];
    let rejected = 0;
    for (let i = 0; i < 1500; i++) {
      const input = mutate(valid, next);
      const error = thrown(() => decode(input));
      if (error instanceof DecodeError) rejected++;
      else if (error !== undefined) wrong.push(`${input.toString('hex')}: ${String(error)}`);
    }
    t.deepEqual(wrong.slice(0, 5), []);
    // The mutations must reach the error paths, not only change opaque bytes.
    t.true(rejected > 0, `${rejected} of 1500 mutations rejected`);
  });
}
