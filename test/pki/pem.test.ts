import test from 'ava';

import { TlsConfigError } from '../../lib/errors';
import { decodePem, encodePem, looksLikePem } from '../../lib/pki/pem';

const der = Buffer.from('3003020101', 'hex');

test('encodePem and decodePem round-trip, with 64-column lines', (t) => {
  const long = Buffer.alloc(100, 0xab);
  const pem = encodePem('CERTIFICATE', long);
  t.true(pem.split('\n').every((line) => line.length <= 64));
  t.deepEqual(decodePem(pem), [{ label: 'CERTIFICATE', headers: {}, der: long }]);
});

test('decodePem finds several blocks among surrounding text', (t) => {
  const text = `Bag Attributes\n    localKeyID: 01\nsubject=/CN=x\n${encodePem('CERTIFICATE', der)}` +
    `between\n${encodePem('PRIVATE KEY', Buffer.from('05', 'hex'))}trailing text`;
  const blocks = decodePem(text);
  t.deepEqual(blocks.map((b) => b.label), ['CERTIFICATE', 'PRIVATE KEY']);
  t.deepEqual(blocks[0].der, der);
  t.deepEqual(blocks[1].der, Buffer.from('05', 'hex'));
});

test('decodePem accepts CRLF and CR line ends and indented base64', (t) => {
  const pem = encodePem('EC PRIVATE KEY', der);
  t.deepEqual(decodePem(pem.replace(/\n/g, '\r\n'))[0].der, der);
  t.deepEqual(decodePem(pem.replace(/\n/g, '\r'))[0].der, der);
  t.deepEqual(decodePem(pem.replace('\nMAM', '\n  MAM'))[0].der, der);
});

test('decodePem reads RFC 1421 headers of legacy encrypted keys', (t) => {
  const pem = encodePem('RSA PRIVATE KEY', der, {
    'Proc-Type': '4,ENCRYPTED',
    'DEK-Info': 'AES-256-CBC,00112233445566778899AABBCCDDEEFF',
  });
  const [block] = decodePem(pem);
  t.is(block.headers['Proc-Type'], '4,ENCRYPTED');
  t.is(block.headers['DEK-Info'], 'AES-256-CBC,00112233445566778899AABBCCDDEEFF');
  t.deepEqual(block.der, der);
});

test('decodePem returns nothing for text without blocks', (t) => {
  t.deepEqual(decodePem('just some text\n'), []);
  t.false(looksLikePem('certs/ca.pem'));
  t.true(looksLikePem(encodePem('X', der)));
});

test('decodePem refuses a missing or mismatched END line', (t) => {
  const pem = encodePem('CERTIFICATE', der);
  const missing = t.throws(
    () => decodePem(pem.replace(/-----END[^\n]*\n/, '')),
    { instanceOf: TlsConfigError },
  );
  t.regex(missing!.message, /no END line/);
  const mismatched = t.throws(() => decodePem(pem.replace('END CERTIFICATE', 'END PRIVATE KEY')));
  t.regex(mismatched!.message, /ends with END line of "PRIVATE KEY"/);
});

test('decodePem refuses invalid base64 and empty blocks', (t) => {
  t.throws(
    () => decodePem('-----BEGIN X-----\nMA*D\n-----END X-----\n'),
    { message: /invalid base64/ },
  );
  t.throws(() => decodePem('-----BEGIN X-----\n-----END X-----\n'), { message: /is empty/ });
});
