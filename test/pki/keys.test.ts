import test from 'ava';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { TlsConfigError } from '../../lib/errors';
import { EcPrivateKey } from '../../lib/pki/asn1-schemas';
import { decodePem, encodePem } from '../../lib/pki/pem';
import { keyToJwk, loadIdentity, loadPrivateKey } from '../../lib/pki/keys';
import { makeLeaf } from '../helpers/cert-factory';

// Key files are made by the openssl CLI, as users' files are.
const dir = mkdtempSync(join(tmpdir(), 'tls13-keys-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function file(name: string): Buffer {
  return readFileSync(join(dir, name));
}

test.before(() => {
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'p256.pem');
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', 'p384.pem');
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521', '-out', 'p521.pem');
  openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'rsa.pem');
  openssl(
    'genpkey',
    '-algorithm',
    'RSA-PSS',
    '-pkeyopt',
    'rsa_keygen_bits:2048',
    '-out',
    'pss.pem',
  );
  openssl('genpkey', '-algorithm', 'ED25519', '-out', 'ed25519.pem');
  openssl('genpkey', '-algorithm', 'ED448', '-out', 'ed448.pem');
  openssl('genpkey', '-algorithm', 'X25519', '-out', 'x25519.pem');
  openssl(
    'pkcs8',
    '-topk8',
    '-nocrypt',
    '-in',
    'p256.pem',
    '-outform',
    'DER',
    '-out',
    'p256.p8.der',
  );
  openssl('pkcs8', '-topk8', '-in', 'p256.pem', '-passout', 'pass:secret', '-out', 'p256.enc.pem');
  openssl(
    'pkcs8',
    '-topk8',
    '-in',
    'rsa.pem',
    '-v2',
    'aes-128-cbc',
    '-passout',
    'pass:secret',
    '-out',
    'rsa.enc.pem',
  );
  openssl(
    'pkcs8',
    '-topk8',
    '-in',
    'p256.pem',
    '-scrypt',
    '-passout',
    'pass:secret',
    '-out',
    'p256.scrypt.pem',
  );
  openssl(
    'pkcs8',
    '-topk8',
    '-in',
    'p256.pem',
    '-passout',
    'pass:secret',
    '-outform',
    'DER',
    '-out',
    'p256.enc.der',
  );
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-out', 'sec1-with-params.pem');
  openssl('ec', '-in', 'p256.pem', '-out', 'sec1.pem');
  openssl('ec', '-in', 'p256.pem', '-outform', 'DER', '-out', 'sec1.der');
  openssl('ec', '-in', 'p256.pem', '-aes256', '-passout', 'pass:secret', '-out', 'sec1.legacy.pem');
  openssl(
    'ecparam',
    '-name',
    'prime256v1',
    '-genkey',
    '-param_enc',
    'explicit',
    '-out',
    'explicit.pem',
  );
  openssl('pkcs8', '-topk8', '-nocrypt', '-in', 'explicit.pem', '-out', 'explicit.p8.pem');
  openssl('ecparam', '-name', 'prime192v1', '-genkey', '-noout', '-out', 'p192.pem');
  openssl('ecparam', '-name', 'secp256k1', '-genkey', '-noout', '-out', 'k256.pem');
  openssl('genrsa', '-traditional', '-out', 'rsa.pkcs1.pem', '2048');
  openssl(
    'rsa',
    '-in',
    'rsa.pkcs1.pem',
    '-traditional',
    '-outform',
    'DER',
    '-out',
    'rsa.pkcs1.der',
  );
  openssl(
    'rsa',
    '-in',
    'rsa.pkcs1.pem',
    '-traditional',
    '-aes256',
    '-passout',
    'pass:secret',
    '-out',
    'rsa.legacy.pem',
  );
  openssl(
    'genpkey',
    '-genparam',
    '-algorithm',
    'DSA',
    '-pkeyopt',
    'dsa_paramgen_bits:2048',
    '-out',
    'dsa.params',
  );
  openssl('genpkey', '-paramfile', 'dsa.params', '-out', 'dsa.pem');
});

const plain: Array<[string, string, string | undefined, number | undefined]> = [
  ['p256.pem', 'ec', 'P-256', undefined],
  ['p384.pem', 'ec', 'P-384', undefined],
  ['p521.pem', 'ec', 'P-521', undefined],
  ['rsa.pem', 'rsa', undefined, 2048],
  ['pss.pem', 'rsa-pss', undefined, 2048],
  ['ed25519.pem', 'ed25519', undefined, undefined],
  ['ed448.pem', 'ed448', undefined, undefined],
];

for (const [name, kind, curve, bits] of plain) {
  test(`PKCS#8 ${name} loads as ${kind}`, (t) => {
    const key = loadPrivateKey(file(name));
    t.is(key.format, 'PKCS#8');
    t.is(key.kind as string, kind);
    t.is(key.namedCurve as string | undefined, curve);
    t.is(key.bits, bits);
    t.is(key.keyObject.type, 'private');
  });
}

test('PKCS#8 in DER, and PEM given as a string, load the same key', (t) => {
  const der = loadPrivateKey(file('p256.p8.der'));
  const pem = loadPrivateKey(file('p256.pem').toString());
  t.is(der.format, 'PKCS#8');
  t.true(der.keyObject.equals(pem.keyObject));
});

for (const [name, format] of [
  ['p256.enc.pem', 'PBKDF2'],
  ['rsa.enc.pem', 'PBKDF2 AES-128'],
  ['p256.scrypt.pem', 'scrypt'],
  ['p256.enc.der', 'DER'],
]) {
  test(`encrypted PKCS#8 (${format}) loads with its passphrase`, (t) => {
    const key = loadPrivateKey(file(name), 'secret');
    t.is(key.format, 'encrypted PKCS#8');
    t.is(key.kind, name.startsWith('rsa') ? 'rsa' : 'ec');
    t.is(loadPrivateKey(file(name), Buffer.from('secret')).kind, key.kind);
  });
}

test('encrypted PKCS#8 with a wrong passphrase says so', (t) => {
  const err = t.throws(
    () => loadPrivateKey(file('p256.enc.pem'), 'wrong'),
    { instanceOf: TlsConfigError },
  );
  t.is(err!.message, 'encrypted PKCS#8 key: wrong passphrase');
  t.is(err!.code, 'ERR_TLS13_KEY_PASSPHRASE');
});

test('encrypted PKCS#8 without a passphrase says one is required', (t) => {
  const err = t.throws(() => loadPrivateKey(file('p256.scrypt.pem')));
  t.is(err!.message, 'encrypted PKCS#8 key: a passphrase is required');
});

test('SEC1 loads with and without an EC PARAMETERS block, in PEM and DER', (t) => {
  for (const name of ['sec1-with-params.pem', 'sec1.pem', 'sec1.der']) {
    const key = loadPrivateKey(file(name));
    t.is(key.format, 'SEC1', name);
    t.is(key.namedCurve, 'P-256', name);
  }
  t.is(decodePem(file('sec1-with-params.pem').toString())[0].label, 'EC PARAMETERS');
});

test('SEC1 loads with CRLF line ends and text around the blocks', (t) => {
  const text = `friendly name: demo\r\n${file('sec1-with-params.pem').toString().replace(/\n/g, '\r\n')}\r\n-- end`;
  t.is(loadPrivateKey(text).namedCurve, 'P-256');
});

test('SEC1 whose curve is only in the EC PARAMETERS block still loads', (t) => {
  const blocks = decodePem(file('sec1-with-params.pem').toString());
  const keyBlock = blocks.find((b) => b.label === 'EC PRIVATE KEY')!;
  const params = blocks.find((b) => b.label === 'EC PARAMETERS')!;
  const decoded = EcPrivateKey.decode(keyBlock.der, 'der');
  const bare = EcPrivateKey.encode({ ...decoded, parameters: undefined }, 'der');
  const withBlock = encodePem('EC PARAMETERS', params.der) + encodePem('EC PRIVATE KEY', bare);
  t.is(loadPrivateKey(withBlock).namedCurve, 'P-256');
  t.throws(() => loadPrivateKey(encodePem('EC PRIVATE KEY', bare)), {
    message: 'SEC1 key names no curve and has no EC PARAMETERS block',
  });
});

test('explicit curve parameters are refused by name', (t) => {
  const sec1 = t.throws(() => loadPrivateKey(file('explicit.pem')), { instanceOf: TlsConfigError });
  t.is(sec1!.message, 'SEC1 key uses explicit curve parameters');
  t.is(sec1!.code, 'ERR_TLS13_UNSUPPORTED_KEY');
  const pkcs8 = t.throws(() => loadPrivateKey(file('explicit.p8.pem')));
  t.is(pkcs8!.message, 'PKCS#8 key uses explicit curve parameters');
});

test('curves TLS 1.3 does not sign with are refused by name', (t) => {
  t.throws(
    () => loadPrivateKey(file('p192.pem')),
    { message: 'SEC1 key uses curve P-192, not supported' },
  );
  t.throws(
    () => loadPrivateKey(file('k256.pem')),
    { message: 'SEC1 key uses curve secp256k1, not supported' },
  );
});

test('PKCS#1 RSA loads from PEM and DER', (t) => {
  for (const name of ['rsa.pkcs1.pem', 'rsa.pkcs1.der']) {
    const key = loadPrivateKey(file(name));
    t.is(key.format, 'PKCS#1');
    t.is(key.kind, 'rsa');
    t.is(key.bits, 2048);
  }
});

test('legacy encrypted PEM (Proc-Type) loads with its passphrase and names a wrong one', (t) => {
  t.is(loadPrivateKey(file('sec1.legacy.pem'), 'secret').format, 'legacy encrypted SEC1');
  t.is(loadPrivateKey(file('rsa.legacy.pem'), 'secret').format, 'legacy encrypted PKCS#1');
  t.throws(() => loadPrivateKey(file('rsa.legacy.pem'), 'nope'), {
    message: 'legacy encrypted PKCS#1 key: wrong passphrase',
  });
  t.throws(() => loadPrivateKey(file('rsa.legacy.pem')), { message: /a passphrase is required/ });
});

test('keys TLS 1.3 cannot sign with are refused with their type', (t) => {
  t.throws(
    () => loadPrivateKey(file('dsa.pem')),
    { message: 'PKCS#8 key is a DSA key, which TLS 1.3 cannot use' },
  );
  t.throws(
    () => loadPrivateKey(file('x25519.pem')),
    { message: /x25519 key, which TLS 1.3 cannot sign with/ },
  );
});

test('JWK private keys load; public JWKs are refused', (t) => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const jwk = privateKey.export({ format: 'jwk' });
  const key = loadPrivateKey(JSON.stringify(jwk));
  t.is(key.format, 'JWK');
  t.is(key.namedCurve, 'P-384');
  const { d: _d, ...pub } = jwk;
  t.throws(
    () => loadPrivateKey(JSON.stringify(pub)),
    { message: 'JWK key has no private part ("d")' },
  );
});

test('inputs that hold no usable key say what they hold', (t) => {
  const leaf = makeLeaf();
  t.throws(
    () => loadPrivateKey(leaf.certPem),
    { message: 'PEM key file: it holds certificates but no private key' },
  );
  t.throws(
    () => loadPrivateKey('certs/server-key.pem'),
    { message: 'key input holds no PEM block' },
  );
  t.throws(
    () => loadPrivateKey(Buffer.from('3003020101', 'hex')),
    { message: /not a PKCS#8, SEC1 or PKCS#1/ },
  );
  t.throws(
    () => loadPrivateKey(Buffer.from('30030201', 'hex')),
    { message: /DER key is malformed/ },
  );
  const two = file('p256.pem').toString() + file('p384.pem').toString();
  t.throws(() => loadPrivateKey(two), { message: 'PEM input holds 2 private keys; give one' });
});

test('loadIdentity checks that the key belongs to the leaf', (t) => {
  const leaf = makeLeaf({ keyType: 'ed25519' });
  const other = makeLeaf({ keyType: 'ed25519' });
  const identity = loadIdentity({ cert: leaf.certPem, key: leaf.keyPem });
  t.is(identity.chain[0].subjectText, 'CN=localhost');
  t.is(identity.key.kind, 'ed25519');
  const err = t.throws(
    () => loadIdentity({ cert: leaf.certPem, key: other.keyPem }),
    { instanceOf: TlsConfigError },
  );
  t.is(err!.code, 'ERR_TLS13_KEY_MISMATCH');
  t.regex(err!.message, /PKCS#8 ed25519 key does not match the public key of CN=localhost/);
});

test('loadIdentity refuses a key of another type than the certificate', (t) => {
  const leaf = makeLeaf();
  t.throws(
    () => loadIdentity({ cert: leaf.certDer, key: file('rsa.pem') }),
    { code: 'ERR_TLS13_KEY_MISMATCH' },
  );
});

test('loadIdentity accepts an RSA-PSS identity and a chain given as an array', (t) => {
  const leaf = makeLeaf({ keyType: 'rsa-pss' });
  const identity = loadIdentity({ cert: [leaf.certPem], key: leaf.keyPem });
  t.is(identity.key.kind, 'rsa-pss');
  t.is(identity.chain[0].keyKind, 'rsa-pss');
});

test('keyToJwk exports RSA, EC and OKP keys that load back as the same key', (t) => {
  for (const name of ['rsa.pem', 'p384.pem', 'ed25519.pem', 'ed448.pem']) {
    const key = loadPrivateKey(file(name));
    const jwk = keyToJwk(key, 'private');
    t.true(loadPrivateKey(JSON.stringify(jwk)).keyObject.equals(key.keyObject), name);
    t.is(keyToJwk(key).d, undefined, name);
  }
  t.throws(
    () => keyToJwk(loadPrivateKey(file('pss.pem'))),
    { message: 'RSASSA-PSS keys have no JWK form' },
  );
});

test('corrupted key files never crash the loader: TlsConfigError only', (t) => {
  const sources = ['p256.pem', 'rsa.pkcs1.pem', 'sec1-with-params.pem', 'p256.enc.pem', 'p256.p8.der']
    .map((name) => file(name));
  let seed = 5;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  for (let i = 0; i < 500; i++) {
    const source = sources[i % sources.length];
    const der = source[0] === 0x30 ? source : decodePem(source.toString()).at(-1)!.der;
    const copy = Buffer.from(der);
    for (let k = 0; k <= rand(3); k++) copy[rand(copy.length)] = rand(256);
    for (const input of [copy, encodePem(decodePem(source.toString())[0]?.label ?? 'PRIVATE KEY', copy)]) {
      try {
        loadPrivateKey(input, 'secret');
      } catch (err) {
        if (!(err instanceof TlsConfigError)) t.fail(`${(err as Error).stack}`);
      }
    }
  }
  t.pass();
});

test('JWK objects load like their JSON text: RSA, EC and OKP round trips', (t) => {
  const names: Array<[string, string]> = [
    ['rsa.pem', 'RSA'], ['p256.pem', 'EC'], ['p384.pem', 'EC'], ['p521.pem', 'EC'],
    ['ed25519.pem', 'OKP'], ['ed448.pem', 'OKP'],
  ];
  for (const [name, kty] of names) {
    const key = loadPrivateKey(file(name));
    const jwk = keyToJwk(key, 'private');
    t.is(jwk.kty, kty, name);
    const fromObject = loadPrivateKey(jwk);
    t.is(fromObject.format, 'JWK', name);
    t.is(fromObject.kind, key.kind, name);
    t.is(fromObject.namedCurve, key.namedCurve, name);
    t.true(fromObject.keyObject.equals(key.keyObject), name);
    t.true(loadPrivateKey(Buffer.from(JSON.stringify(jwk))).keyObject.equals(key.keyObject), name);
    // Out again: the same members, so the round trip is exact.
    t.deepEqual(keyToJwk(fromObject, 'private'), jwk, name);
  }
});

test('a JWK identity matches its certificate', (t) => {
  const leaf = makeLeaf({ keyType: 'ed448' });
  const jwk = leaf.key.export({ format: 'jwk' });
  const identity = loadIdentity({ cert: leaf.certPem, key: JSON.stringify(jwk) });
  t.is(identity.key.format, 'JWK');
  t.is(identity.key.kind, 'ed448');
});

test('JWKs that are not usable private keys are refused with the member at fault', (t) => {
  const ec = keyToJwk(loadPrivateKey(file('p256.pem')), 'private');
  const refusals: Array<[unknown, string | RegExp]> = [
    [{ kty: 'oct', k: 'c2VjcmV0' }, 'JWK key has "kty" "oct", not RSA, EC or OKP'],
    [{ crv: 'P-256', d: 'AA' }, 'JWK key has "kty" missing, not RSA, EC or OKP'],
    [{ ...ec, d: undefined }, 'JWK key has no private part ("d")'],
    [[ec], 'JWK key is not a JSON object'],
    [{ ...ec, crv: 'P-192' }, /^JWK key is invalid: /],
    [{ ...ec, x: 'AAAA' }, /^JWK key is invalid: /],
    [generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' }),
      'JWK key is a x25519 key, which TLS 1.3 cannot sign with'],
    [generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ format: 'jwk' }),
      'JWK key uses curve secp256k1, not supported'],
    [{ ...ec, kty: 'RSA' }, /^JWK key is invalid: .*key\.n/],
  ];
  for (const [jwk, message] of refusals) {
    const input = JSON.parse(JSON.stringify(jwk)) as JsonWebKey;
    const err = t.throws(() => loadPrivateKey(input), { instanceOf: TlsConfigError });
    if (typeof message === 'string') t.is(err!.message, message);
    else t.regex(err!.message, message);
    t.regex(err!.code, /^ERR_TLS13_(INVALID|UNSUPPORTED)_KEY$/);
  }
  t.throws(() => loadPrivateKey('{"kty": "EC",'), { message: 'JWK key is not valid JSON' });
});
