// EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify and Finished.

import test from 'ava';
import {
  decodeCertificate,
  decodeCertificateRequest,
  decodeCertificateVerify,
  decodeEncryptedExtensions,
  decodeFinished,
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateVerify,
  encodeEncryptedExtensions,
  encodeFinished,
  type Certificate,
  type CertificateRequest,
  type CertificateVerify,
  type EncryptedExtensions,
} from '../../lib/messages/authentication';
import { bodyOf, everyPrefixFails, hex, mustFail, trailingFails } from './helpers';

const encryptedExtensions: EncryptedExtensions = {
  extensions: [
    { type: 0x0010, data: hex('0003 026832') },
    { type: 0x0000, data: Buffer.alloc(0) },
  ],
};

const certificateRequest: CertificateRequest = {
  certificateRequestContext: hex('c0ffee'),
  extensions: [{ type: 0x000d, data: hex('0004 0403 0804') }],
};

const certificate: Certificate = {
  certificateRequestContext: hex('c0ffee'),
  certificateList: [
    { certData: Buffer.alloc(300, 0x30), extensions: [{ type: 0x0005, data: hex('01 0203') }] },
    { certData: hex('3003020100'), extensions: [] },
  ],
};

const certificateVerify: CertificateVerify = {
  algorithm: 0x0804,
  signature: Buffer.alloc(256, 0x42),
};

test('EncryptedExtensions: bytes, round trip, prefixes, trailing bytes', (t) => {
  const body = bodyOf(t, encodeEncryptedExtensions(encryptedExtensions), 8);
  t.is(body.toString('hex'), '000d' + '00100005' + '0003026832' + '00000000');
  t.deepEqual(decodeEncryptedExtensions(body), encryptedExtensions);
  everyPrefixFails(t, body, decodeEncryptedExtensions);
  trailingFails(t, body, decodeEncryptedExtensions);
});

test('EncryptedExtensions: the empty list round trips; an empty body is truncation', (t) => {
  const body = bodyOf(t, encodeEncryptedExtensions({ extensions: [] }), 8);
  t.is(body.toString('hex'), '0000');
  t.deepEqual(decodeEncryptedExtensions(body), { extensions: [] });
  mustFail(t, () => decodeEncryptedExtensions(Buffer.alloc(0)), 'empty body');
});

test('CertificateRequest: bytes, round trip, prefixes, trailing bytes', (t) => {
  const body = bodyOf(t, encodeCertificateRequest(certificateRequest), 13);
  t.is(body.toString('hex'), '03c0ffee' + '000a' + '000d0006' + '000404030804');
  t.deepEqual(decodeCertificateRequest(body), certificateRequest);
  everyPrefixFails(t, body, decodeCertificateRequest);
  trailingFails(t, body, decodeCertificateRequest);
});

test('Certificate: bytes, round trip, prefixes, trailing bytes', (t) => {
  const raw = encodeCertificate(certificate);
  const body = bodyOf(t, raw, 11);
  const expected = Buffer.concat([
    hex('03c0ffee'),
    hex('000142'),
    hex('00012c'),
    Buffer.alloc(300, 0x30),
    hex('0007 00050003 010203'),
    hex('000005 3003020100 0000'),
  ]);
  t.is(body.toString('hex'), expected.toString('hex'));
  t.deepEqual(decodeCertificate(body), certificate);
  everyPrefixFails(t, body, decodeCertificate);
  trailingFails(t, body, decodeCertificate);
});

test('Certificate: an empty list (no client certificate) round trips', (t) => {
  const m: Certificate = { certificateRequestContext: Buffer.alloc(0), certificateList: [] };
  const body = bodyOf(t, encodeCertificate(m), 11);
  t.is(body.toString('hex'), '00000000');
  t.deepEqual(decodeCertificate(body), m);
  everyPrefixFails(t, body, decodeCertificate);
});

test('Certificate: a chain larger than 64 KiB round trips through 24-bit lengths', (t) => {
  const m: Certificate = {
    certificateRequestContext: Buffer.alloc(0),
    certificateList: [0, 1, 2].map((i) => ({
      certData: Buffer.alloc(30000, i + 1),
      extensions: [],
    })),
  };
  t.deepEqual(decodeCertificate(encodeCertificate(m).subarray(4)), m);
});

test('Certificate: bad entries are DecodeErrors', (t) => {
  // cert_data<1..2^24-1>: an empty certificate.
  mustFail(t, () => decodeCertificate(hex('00 000005 000000 0000')), 'empty cert_data');
  // An entry without its extensions block.
  mustFail(t, () => decodeCertificate(hex('00 000004 000001 30')), 'entry without extensions');
  // An entry whose extensions run past the certificate_list.
  mustFail(
    t,
    () => decodeCertificate(hex('00 000006 000001 30 0002 0000')),
    'extensions past the list'
  );
  // A list shorter than its entry claims.
  mustFail(t, () => decodeCertificate(hex('00 000003 000005 30')), 'cert_data past the list');
});

test('CertificateVerify: bytes, round trip, prefixes, trailing bytes', (t) => {
  const body = bodyOf(t, encodeCertificateVerify(certificateVerify), 15);
  t.is(body.subarray(0, 4).toString('hex'), '08040100');
  t.is(body.length, 4 + 256);
  t.deepEqual(decodeCertificateVerify(body), certificateVerify);
  everyPrefixFails(t, body, decodeCertificateVerify);
  trailingFails(t, body, decodeCertificateVerify);
});

test('Finished: bytes, round trip, prefixes, trailing bytes, for both hash lengths', (t) => {
  for (const length of [32, 48]) {
    const verifyData = Buffer.from(Array.from({ length }, (_, i) => i));
    const raw = encodeFinished({ verifyData });
    const body = bodyOf(t, raw, 20);
    t.true(body.equals(verifyData));
    t.deepEqual(decodeFinished(body, length), { verifyData });
    everyPrefixFails(t, body, (b) => decodeFinished(b, length));
    trailingFails(t, body, (b) => decodeFinished(b, length));
  }
});

test('Finished: a SHA-256 verify_data is wrong for a SHA-384 suite and the reverse', (t) => {
  mustFail(t, () => decodeFinished(Buffer.alloc(32), 48), '32 bytes where 48 are due');
  mustFail(t, () => decodeFinished(Buffer.alloc(48), 32), '48 bytes where 32 are due');
});
