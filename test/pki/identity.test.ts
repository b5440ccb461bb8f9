import test from 'ava';

import {
  checkServerName,
  commonNameFormProblem,
  dnsNameMatches,
  ipToBytes,
} from '../../lib/pki/identity';
import { makeLeaf } from '../helpers/cert-factory';

const leaf = makeLeaf({
  commonName: 'not-a-san.example',
  dns: [
    'www.example.com',
    '*.api.example.com',
    'Upper.Example.ORG',
    'xn--bcher-kva.example',
    'trailing.example.',
  ],
  ip: ['192.0.2.7', '2001:db8::1'],
}).certificate;

const accepted = [
  'www.example.com', 'WWW.EXAMPLE.COM', 'www.example.com.', 'v1.api.example.com', 'upper.example.org',
  'bücher.example', 'xn--bcher-kva.example', 'trailing.example', '192.0.2.7', '2001:db8::1',
  '2001:0db8:0:0:0:0:0:1',
];
const refused = [
  'example.com', 'a.b.api.example.com', 'api.example.com', 'not-a-san.example', 'other.example.com',
  '192.0.2.8', '::1', '2001:db8::2', 'www.example.com..', 'foo_bar.example.com', '',
];

for (const name of accepted) {
  test(`checkServerName accepts ${name}`, (t) => {
    t.deepEqual(checkServerName(leaf, name), { ok: true });
  });
}

for (const name of refused) {
  test(`checkServerName refuses ${JSON.stringify(name)}`, (t) => {
    const result = checkServerName(leaf, name);
    t.false(result.ok);
  });
}

test('the reason names the wanted name and what the certificate offers', (t) => {
  const result = checkServerName(leaf, 'other.example.com');
  t.false(result.ok);
  if (!result.ok) {
    t.is(result.reason, 'CN=not-a-san.example is not valid for other.example.com; it names DNS:www.example.com, ' +
      'DNS:*.api.example.com, DNS:Upper.Example.ORG, DNS:xn--bcher-kva.example, DNS:trailing.example., ' +
      'IP:192.0.2.7 and 1 more');
  }
});

test('the common name is never used, even without a SAN', (t) => {
  const noSan = makeLeaf({ commonName: 'only-cn.example', dns: [], ip: [] });
  const result = checkServerName(noSan.certificate, 'only-cn.example');
  t.false(result.ok);
  if (!result.ok) t.regex(result.reason, /has no subjectAltName, and the common name is not used/);
});

test('wildcards: whole left-most label only, at least two labels under it, never IPs', (t) => {
  t.true(dnsNameMatches('*.example.com', 'a.example.com'));
  t.false(dnsNameMatches('*.example.com', 'example.com'));
  t.false(dnsNameMatches('*.com', 'example.com'));
  t.false(dnsNameMatches('*', 'com'));
  t.false(dnsNameMatches('ba*.example.com', 'baz.example.com'));
  t.false(dnsNameMatches('xn--*-1b3c148a.example.com', 'xn--bliss-1b3c148a.example.com'));
  t.false(dnsNameMatches('a.*.example.com', 'a.b.example.com'));
  t.false(dnsNameMatches('*.0.2.7', '192.0.2.7'));
  const ipInDns = makeLeaf({ dns: ['8.8.8.8'] }).certificate;
  t.false(checkServerName(ipInDns, '8.8.8.8').ok);
});

test('ipToBytes handles both families and the embedded IPv4 form', (t) => {
  t.deepEqual(ipToBytes('10.1.2.3'), Buffer.from([10, 1, 2, 3]));
  t.is(ipToBytes('::1').toString('hex'), '00000000000000000000000000000001');
  t.is(ipToBytes('::ffff:192.0.2.1').toString('hex'), '00000000000000000000ffffc0000201');
  t.is(ipToBytes('fe80::1:2').toString('hex'), 'fe800000000000000000000000010002');
});

// Baseline Requirements, Section 7.1.4.3: a server certificate's common name that holds an
// address or a domain name holds it in its one text form. Each case: the name and its problem.
const commonNameCases: Array<[string, RegExp | undefined]> = [
  ['192.168.1.1', undefined],
  ['0.0.0.0', undefined],
  ['2001:db8::1:0:0:1', undefined],
  ['::1', undefined],
  ['::ffff:192.0.2.1', undefined],
  ['::192.0.2.1', undefined],
  ['www.example.com', undefined],
  ['xn--test--wg5h0h.com', undefined],
  ['*.xn--bcher-kva.example', undefined],
  // Neither an address nor a domain name.
  ['10.0.256.1', undefined],
  ['1.2.3', undefined],
  ['Müller GmbH', undefined],
  ['münchen', undefined],
  ['tls13 Demo Root CA', undefined],
  // Out of form.
  ['192.168.001.001', /^holds the address "192\.168\.001\.001", which RFC 3986, Section 3\.2\.2 writes 192\.168\.1\.1$/],
  ['１９２.168.1.1', /^holds the address "１９２\.168\.1\.1", which RFC 3986, Section 3\.2\.2 writes 192\.168\.1\.1$/],
  ['2001:db8:0:0:1:0:0:1', /^holds the address "2001:db8:0:0:1:0:0:1", which RFC 5952 writes 2001:db8::1:0:0:1$/],
  ['2001:DB8::1', /, which RFC 5952 writes 2001:db8::1$/],
  ['2001:0db8::1', /, which RFC 5952 writes 2001:db8::1$/],
  ['::FFFF:192.0.2.1', /, which RFC 5952 writes ::ffff:192\.0\.2\.1$/],
  ['0:0:0:0:0:ffff:192.0.2.1', /, which RFC 5952 writes ::ffff:192\.0\.2\.1$/],
  ['1:0:0:0:0:0:192.0.2.1', /, which RFC 5952 writes 1::192\.0\.2\.1$/],
  ['fe80::1%eth0', /^holds the address "fe80::1%eth0", which RFC 5952 writes fe80::1$/],
  ['fe80::1%a:b:c', /, which RFC 5952 writes fe80::1$/],
  ['test-測試.com', /^holds the domain name "test-測試\.com" in Unicode, not in the A-labels xn--test--gs1lv54n\.com$/],
  ['test-測試.com.', /in the A-labels xn--test--gs1lv54n\.com$/],
  ['test-測試。com', /in the A-labels xn--test--gs1lv54n\.com$/],
  ['*.bücher.example', /in the A-labels \*\.xn--bcher-kva\.example$/],
];

for (const [cn, problem] of commonNameCases) {
  test(`commonNameFormProblem: ${JSON.stringify(cn)} ${problem ? 'is out of form' : 'passes'}`, (t) => {
    const found = commonNameFormProblem(cn);
    if (problem) t.regex(found ?? '(accepted)', problem);
    else t.is(found, undefined);
  });
}

test('commonNameFormProblem: a long common name is cut short in the reason', (t) => {
  const octet = `${'0'.repeat(5000)}1`;
  t.is(commonNameFormProblem([octet, octet, octet, octet].join('.')), undefined);
  const unicode = `${'ü'.repeat(50)}.${'ü'.repeat(50)}.example`;
  t.regex(commonNameFormProblem(unicode) ?? '', /^holds the domain name "ü{50}\.ü{29}\.\.\." in Unicode/);
});

test('ipToBytes ignores a zone, which no certificate carries', (t) => {
  t.is(ipToBytes('fe80::1%eth0').toString('hex'), 'fe800000000000000000000000000001');
  t.is(ipToBytes('1:2:3:4:5:6::7%a:b:c:d').toString('hex'), '00010002000300040005000600000007');
  const leaf = makeLeaf({ ip: ['fe80::1'] }).certificate;
  t.deepEqual(checkServerName(leaf, 'fe80::1%eth0'), { ok: true });
});
