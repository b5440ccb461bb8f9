// Key files made by the openssl CLI in every form we load, each used for a real TLS 1.3
// handshake in both roles: our client with that identity against `openssl s_server -Verify 1`,
// and our server with it against `openssl s_client`. Everything runs on 127.0.0.1.
//
// The test CA, the keys and the certificates are made here with openssl in a temporary
// directory. RSA and EC base keys are generated once; each form is written from them, and each
// form gets its own certificate whose subject names it, so the peer's output shows which one
// it verified.

import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { connect } from '../../lib/connect';
import { TlsConfigError } from '../../lib/errors';
import { createServer } from '../../lib/server';
import { keyToJwk, loadPrivateKey } from '../../lib/pki/keys';
import { loadPfx } from '../../lib/pki/pkcs12';
import { LOOPBACK, startOpensslServer } from '../helpers/peers';
import { Peer, startTestServer } from '../server/helpers';

const dir = mkdtempSync(join(tmpdir(), 'tls13-keys-openssl-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const path = (name: string): string => join(dir, name);
const read = (name: string): Buffer => readFileSync(path(name));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const LEAF_EXTENSIONS = `[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

/** A certificate from the test CA for the plain key `base`, named `commonName`. */
function certify(base: string, commonName: string, out: string): void {
  openssl('req', '-new', '-key', base, '-subj', `/CN=${commonName}`, '-out', `${out}.csr`);
  openssl('x509', '-req', '-in', `${out}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem',
    '-set_serial', String(serial++), '-days', '2', '-sha256',
    '-extfile', 'leaf.cnf', '-extensions', 'leaf', '-out', out);
}
let serial = 1000;

/** What openssl prints on stdout and stderr together. */
function opensslOutput(...args: string[]): string {
  const run = spawnSync('openssl', args, { cwd: dir, encoding: 'latin1' });
  return run.stdout + run.stderr;
}

function crlf(from: string, to: string): void {
  writeFileSync(path(to), read(from).toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
}

// Base keys, made once. p384-params.pem is `ecparam -genkey` output: an EC PARAMETERS block,
// then the SEC1 key.
test.before(() => {
  writeFileSync(path('leaf.cnf'), LEAF_EXTENSIONS);
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-subj', '/CN=tls13 Keys Interop CA',
    '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'rsa.pem');
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'p256.pem');
  openssl('ecparam', '-name', 'secp384r1', '-genkey', '-out', 'p384-params.pem');
  openssl('genpkey', '-algorithm', 'ED25519', '-out', 'ed25519.pem');
  openssl('genpkey', '-algorithm', 'ED448', '-out', 'ed448.pem');
  certify('p256.pem', 'keys s_server', 's-server.pem');
});

interface KeyForm {
  title: string;
  /** The plain key the certificate is made for. */
  base: string;
  /** The key file in this form, and the openssl commands that write it from `base`. */
  file: string;
  make: () => void;
  passphrase?: string;
  /** The format loadPrivateKey reports. */
  format: string;
  /** What the file's text or `openssl asn1parse` of it must show, so the form is the one named. */
  evidence?: RegExp;
}

const PASS = 'pass:key-pw';

const forms: KeyForm[] = [
  {
    title: 'PKCS#8, RSA 2048', base: 'rsa.pem', file: 'rsa.pem', make: () => undefined,
    format: 'PKCS#8',
  },
  {
    title: 'encrypted PKCS#8 (PBES2, PBKDF2, AES-256-CBC), P-256', base: 'p256.pem',
    file: 'p256-pbkdf2.pem',
    make: () => openssl('pkcs8', '-topk8', '-in', 'p256.pem', '-v2', 'aes-256-cbc',
      '-v2prf', 'hmacWithSHA256', '-passout', PASS, '-out', 'p256-pbkdf2.pem'),
    passphrase: 'key-pw', format: 'encrypted PKCS#8',
    evidence: /:PBKDF2\n[^]*:hmacWithSHA256\n[^]*:aes-256-cbc\n/,
  },
  {
    title: 'encrypted PKCS#8 (scrypt), RSA 2048', base: 'rsa.pem', file: 'rsa-scrypt.pem',
    make: () => openssl('pkcs8', '-topk8', '-scrypt', '-in', 'rsa.pem', '-passout', PASS,
      '-out', 'rsa-scrypt.pem'),
    passphrase: 'key-pw', format: 'encrypted PKCS#8',
    evidence: /:PBES2\n[^]*:scrypt\n[^]*:aes-256-cbc\n/,
  },
  {
    title: 'SEC1 after an EC PARAMETERS block, CRLF, P-384', base: 'p384-params.pem',
    file: 'p384-params-crlf.pem', make: () => crlf('p384-params.pem', 'p384-params-crlf.pem'),
    format: 'SEC1',
    evidence: /^-----BEGIN EC PARAMETERS-----\r\n[^]*-----BEGIN EC PRIVATE KEY-----\r\n/m,
  },
  {
    title: 'SEC1 without EC PARAMETERS, CRLF, P-256', base: 'p256.pem', file: 'p256-sec1-crlf.pem',
    make: () => {
      openssl('ec', '-in', 'p256.pem', '-out', 'p256-sec1.pem');
      crlf('p256-sec1.pem', 'p256-sec1-crlf.pem');
    },
    format: 'SEC1', evidence: /^(?![^]*EC PARAMETERS)-----BEGIN EC PRIVATE KEY-----\r\n/,
  },
  {
    title: 'PKCS#1 (-traditional), RSA 2048', base: 'rsa.pem', file: 'rsa-pkcs1.pem',
    make: () => openssl('rsa', '-in', 'rsa.pem', '-traditional', '-out', 'rsa-pkcs1.pem'),
    format: 'PKCS#1', evidence: /^-----BEGIN RSA PRIVATE KEY-----\n/,
  },
  {
    title: 'legacy encrypted PEM (Proc-Type, AES-256-CBC), PKCS#1 RSA', base: 'rsa.pem',
    file: 'rsa-legacy.pem',
    make: () => openssl('rsa', '-in', 'rsa.pem', '-traditional', '-aes256', '-passout', PASS,
      '-out', 'rsa-legacy.pem'),
    passphrase: 'key-pw', format: 'legacy encrypted PKCS#1',
    evidence: /Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,/,
  },
  {
    title: 'legacy encrypted PEM (Proc-Type, AES-256-CBC), SEC1 P-256', base: 'p256.pem',
    file: 'p256-legacy.pem',
    make: () => openssl('ec', '-in', 'p256.pem', '-aes256', '-passout', PASS,
      '-out', 'p256-legacy.pem'),
    passphrase: 'key-pw', format: 'legacy encrypted SEC1',
    evidence: /Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,/,
  },
  {
    title: 'PKCS#8, Ed25519', base: 'ed25519.pem', file: 'ed25519.pem', make: () => undefined,
    format: 'PKCS#8', evidence: /:ED25519\n/,
  },
  {
    title: 'PKCS#8, Ed448', base: 'ed448.pem', file: 'ed448.pem', make: () => undefined,
    format: 'PKCS#8', evidence: /:ED448\n/,
  },
  {
    title: 'PKCS#8 in DER, P-256', base: 'p256.pem', file: 'p256.p8.der',
    make: () => openssl('pkcs8', '-topk8', '-nocrypt', '-in', 'p256.pem', '-outform', 'DER',
      '-out', 'p256.p8.der'),
    format: 'PKCS#8',
  },
  {
    title: 'PKCS#1 in DER, RSA 2048', base: 'rsa.pem', file: 'rsa-pkcs1.der',
    make: () => openssl('rsa', '-in', 'rsa.pem', '-traditional', '-outform', 'DER',
      '-out', 'rsa-pkcs1.der'),
    format: 'PKCS#1',
  },
  {
    title: 'SEC1 in DER, P-384', base: 'p384-params.pem', file: 'p384-sec1.der',
    make: () => openssl('ec', '-in', 'p384-params.pem', '-outform', 'DER', '-out', 'p384-sec1.der'),
    format: 'SEC1',
  },
  {
    title: 'encrypted PKCS#8 in DER (PBES2, AES-256-CBC), Ed448', base: 'ed448.pem',
    file: 'ed448-enc.der',
    make: () => openssl('pkcs8', '-topk8', '-in', 'ed448.pem', '-v2', 'aes-256-cbc',
      '-passout', PASS, '-outform', 'DER', '-out', 'ed448-enc.der'),
    passphrase: 'key-pw', format: 'encrypted PKCS#8', evidence: /:PBES2\n[^]*:aes-256-cbc\n/,
  },
];

interface Identity {
  cert?: Buffer;
  key?: Buffer;
  pfx?: Buffer;
  passphrase?: string;
}

/** Makes the form's file and certificate once; the two role tests share them. */
const prepared = new Map<string, Promise<Identity>>();

function prepare(form: KeyForm, commonName: string): Promise<Identity> {
  let identity = prepared.get(form.file);
  if (!identity) {
    identity = Promise.resolve().then(() => {
      form.make();
      certify(form.base, commonName, `${form.file}.crt`);
      return { cert: read(`${form.file}.crt`), key: read(form.file), passphrase: form.passphrase };
    });
    prepared.set(form.file, identity);
  }
  return identity;
}

/** Our client with `identity` against s_server; resolves with s_server's -www page. */
async function clientAgainstSServer(t: ExecutionContext, identity: Identity): Promise<string> {
  const server = await startOpensslServer(t, ['-www', '-cert', path('s-server.pem'),
    '-key', path('p256.pem'), '-Verify', '1', '-CAfile', path('ca.pem'), '-verify_return_error']);
  const page = await new Promise<string>((resolve, reject) => {
    const socket = connect({
      host: LOOPBACK, port: server.port, servername: 'localhost', ca: read('ca.pem'), ...identity,
    });
    let text = '';
    socket.on('secureConnect', () => socket.write('GET / HTTP/1.0\r\n\r\n'));
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
    setTimeout(() => reject(new Error(`no page within 10 s:\n${server.output}`)), 10_000).unref();
  });
  const line = (pattern: RegExp): string | undefined => page.match(pattern)?.[0].trim();
  t.log(`s_server: ${line(/^ *Subject: .*$/m)}; ${line(/^Peer signature type: .*$/m)}; ` +
    `${line(/^ *Verify return code: .*$/m)}`);
  return page;
}

/** Our server with `identity` against s_client; resolves with s_client's output. */
async function serverAgainstSClient(t: ExecutionContext, identity: Identity): Promise<string> {
  const { port, nextSecure } = await startTestServer(t, { cert: undefined, key: undefined,
    ...identity });
  const secure = nextSecure();
  const peer = new Peer(t, 'openssl', ['s_client', '-tls1_3', '-connect', `${LOOPBACK}:${port}`,
    '-servername', 'localhost', '-verify_hostname', 'localhost', '-CAfile', path('ca.pem'),
    '-verify_return_error']);
  await peer.waitFor(/Verify return code: 0 \(ok\)/);
  await secure;
  peer.write('ping\n');
  await peer.waitFor(/echo:ping/);
  peer.end();
  t.is(await peer.exit(), 0, peer.output);
  const subject = peer.output.match(/^subject=.*$/m)?.[0];
  const signature = peer.output.match(/^Peer signature type: .*$/m)?.[0];
  t.log(`s_client: ${subject}; ${signature}; Verify return code: 0 (ok)`);
  return peer.output;
}

for (const form of forms) {
  const commonName = `keys ${form.file}`;

  test.serial(`client with ${form.title} authenticates to s_server`, async (t) => {
    const identity = await prepare(form, commonName);
    t.is(loadPrivateKey(identity.key!, form.passphrase).format, form.format);
    if (form.evidence) {
      const inform = form.file.endsWith('.der') ? 'DER' : 'PEM';
      const shown = read(form.file).toString('latin1') +
        opensslOutput('asn1parse', '-inform', inform, '-in', form.file);
      t.regex(shown, form.evidence);
    }
    const page = await clientAgainstSServer(t, identity);
    t.regex(page, /^HTTP\/1\.0 200 ok/);
    t.true(page.includes(`Subject: CN=${commonName}\n`), page);
    t.true(page.includes('Verify return code: 0 (ok)'), page);
  });

  test.serial(`server with ${form.title} is verified by s_client`, async (t) => {
    const identity = await prepare(form, commonName);
    const output = await serverAgainstSClient(t, identity);
    t.regex(output, new RegExp(`^subject=CN = ${commonName.replace(/\./g, '\\.')}$`, 'm'));
  });
}

test.serial('a JWK exported from an openssl key works as key text in both roles', async (t) => {
  const form = forms.find((f) => f.file === 'p384-params-crlf.pem')!;
  const { cert } = await prepare(form, `keys ${form.file}`);
  const jwk = keyToJwk(loadPrivateKey(read(form.file)), 'private');
  const identity = { cert, key: Buffer.from(JSON.stringify(jwk)) };
  t.is(loadPrivateKey(identity.key).format, 'JWK');
  const page = await clientAgainstSServer(t, identity);
  t.true(page.includes(`Subject: CN=keys ${form.file}\n`), page);
  const output = await serverAgainstSClient(t, identity);
  t.regex(output, /^Peer signature type: ECDSA$/m);
});

// ---- PKCS#12 ----

interface PfxForm {
  title: string;
  base: string;
  file: string;
  args: string[];
  /** How `openssl pkcs12 -info` describes its bags. */
  bags: RegExp;
}

const pfxForms: PfxForm[] = [
  {
    title: 'OpenSSL 3 default (PBES2, AES-256-CBC, SHA-256 MAC), P-256', base: 'p256.pem',
    file: 'default.p12', args: ['-certfile', 'ca.pem'],
    bags: /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC/,
  },
  {
    title: '-legacy with 3DES bags (SHA-1 MAC), RSA 2048', base: 'rsa.pem', file: 'des3.p12',
    args: ['-legacy', '-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES'],
    bags: /Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC/,
  },
];

function preparePfx(form: PfxForm, commonName: string): Promise<Identity> {
  let identity = prepared.get(form.file);
  if (!identity) {
    identity = Promise.resolve().then(() => {
      certify(form.base, commonName, `${form.file}.crt`);
      openssl('pkcs12', '-export', '-in', `${form.file}.crt`, '-inkey', form.base,
        ...form.args, '-passout', PASS, '-out', form.file);
      return { pfx: read(form.file), passphrase: 'key-pw' };
    });
    prepared.set(form.file, identity);
  }
  return identity;
}

for (const form of pfxForms) {
  const commonName = `keys ${form.file}`;

  test.serial(`client with PKCS#12 ${form.title} authenticates to s_server`, async (t) => {
    const identity = await preparePfx(form, commonName);
    t.is(loadPfx(identity.pfx!, 'key-pw').chain[0].subjectText, `CN=${commonName}`);
    t.regex(opensslOutput('pkcs12', '-info', '-noout', '-legacy', '-in', form.file,
      '-passin', PASS), form.bags);
    const page = await clientAgainstSServer(t, identity);
    t.true(page.includes(`Subject: CN=${commonName}\n`), page);
    t.true(page.includes('Verify return code: 0 (ok)'), page);
  });

  test.serial(`server with PKCS#12 ${form.title} is verified by s_client`, async (t) => {
    const identity = await preparePfx(form, commonName);
    const output = await serverAgainstSClient(t, identity);
    t.regex(output, new RegExp(`^subject=CN = ${commonName.replace(/\./g, '\\.')}$`, 'm'));
  });
}

test.serial('PKCS#12 -legacy with RC2 certificate bags is refused with how to re-export', (t) => {
  certify('p256.pem', 'keys rc2.p12', 'rc2.crt');
  openssl('pkcs12', '-export', '-legacy', '-certpbe', 'PBE-SHA1-RC2-40', '-in', 'rc2.crt',
    '-inkey', 'p256.pem', '-passout', PASS, '-out', 'rc2.p12');
  t.regex(opensslOutput('pkcs12', '-info', '-noout', '-legacy', '-in', 'rc2.p12', '-passin', PASS),
    /Encrypted data: pbeWithSHA1And40BitRC2-CBC/);
  const pfx = read('rc2.p12');
  for (const make of [
    () => connect({ host: LOOPBACK, port: 9, pfx, passphrase: 'key-pw' }),
    () => createServer({ pfx, passphrase: 'key-pw' }),
  ]) {
    const err = t.throws(make, { instanceOf: TlsConfigError });
    t.is(err!.code, 'ERR_TLS13_UNSUPPORTED_KEY');
    t.regex(err!.message, /encrypted with RC2, which Node 20 cannot decrypt; re-export with /);
  }
});

// ---- refusals, before any connection is made ----

test.serial('a wrong passphrase is a TlsConfigError that says so, in both roles', async (t) => {
  const cases: Array<[Identity, string]> = [];
  for (const form of forms.filter((f) => f.passphrase)) {
    const identity = await prepare(form, `keys ${form.file}`);
    cases.push([{ ...identity, passphrase: 'not-the-pw' },
      `cert and key: ${form.format} key: wrong passphrase`]);
  }
  const pfx = await preparePfx(pfxForms[0], `keys ${pfxForms[0].file}`);
  cases.push([{ ...pfx, passphrase: 'not-the-pw' },
    'pfx: PKCS#12 file: wrong passphrase (its MAC does not verify)']);

  for (const [identity, message] of cases) {
    // The port is never dialled: the identity fails to load first.
    for (const make of [
      () => connect({ host: LOOPBACK, port: 9, ...identity }),
      () => createServer({ ...identity }),
    ]) {
      const err = t.throws(make, { instanceOf: TlsConfigError });
      t.is(err!.message, message);
      t.is(err!.code, 'ERR_TLS13_KEY_PASSPHRASE');
    }
  }
});

test.serial('an EC key with explicit curve parameters is refused by name', (t) => {
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-param_enc', 'explicit',
    '-out', 'explicit.pem');
  openssl('pkcs8', '-topk8', '-nocrypt', '-in', 'explicit.pem', '-out', 'explicit.p8.pem');
  // The certificate's key is the same point, written with a named curve.
  openssl('ec', '-in', 'explicit.pem', '-param_enc', 'named_curve', '-out', 'named.pem');
  certify('named.pem', 'keys explicit', 'explicit.crt');
  const cert = read('explicit.crt');
  for (const [file, format] of [['explicit.pem', 'SEC1'], ['explicit.p8.pem', 'PKCS#8']]) {
    const key = read(file);
    for (const make of [
      () => connect({ host: LOOPBACK, port: 9, cert, key }),
      () => createServer({ cert, key }),
    ]) {
      const err = t.throws(make, { instanceOf: TlsConfigError });
      t.is(err!.message, `cert and key: ${format} key uses explicit curve parameters`);
      t.is(err!.code, 'ERR_TLS13_UNSUPPORTED_KEY');
    }
  }
});
