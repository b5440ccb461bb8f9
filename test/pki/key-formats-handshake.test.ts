// Client keys in every file format, made by the openssl CLI, loaded through the one key
// loader and used for a real TLS 1.3 handshake with client authentication against
// `openssl s_server -www` on 127.0.0.1, whose page shows the client certificate it verified.

import test, { type ExecutionContext } from 'ava';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { connect } from '../../lib/connect';
import { loadPrivateKey } from '../../lib/pki/keys';
import { loadPfx } from '../../lib/pki/pkcs12';
import { makeCa, makeLeaf } from '../helpers/cert-factory';

const certs = join(__dirname, '..', '..', 'certs');
const dir = mkdtempSync(join(tmpdir(), 'tls13-keyhs-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const clientCa = makeCa({ commonName: 'Key Format Test CA' });
writeFileSync(join(dir, 'client-ca.pem'), clientCa.certPem);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

interface Server {
  port: number;
  child: ChildProcess;
}

async function startServer(t: ExecutionContext): Promise<Server> {
  const port = await freePort();
  const child = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-tls1_3', '-www',
    '-cert', join(certs, 'server.pem'), '-key', join(certs, 'server-key.pem'),
    '-cert_chain', join(certs, 'intermediate.pem'),
    '-Verify', '1', '-CAfile', join(dir, 'client-ca.pem'), '-verify_return_error'],
  { stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => child.kill());
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s_server did not start: ${output}`)), 5000);
    child.stdout.on('data', () => {
      if (output.includes('ACCEPT')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { port, child };
}

/** Handshakes with `cert` and `key`, fetches s_server's page and returns it. */
interface ClientIdentity {
  cert: Buffer | string | Buffer[];
  key: Buffer | string;
  passphrase?: string;
}

function fetchPage(port: number, identity: ClientIdentity): Promise<string> {
  return new Promise((resolve, reject) => {
    const ca = readFileSync(join(certs, 'ca.pem'));
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca, ...identity });
    let page = '';
    socket.on('secureConnect', () => socket.write('GET / HTTP/1.0\r\n\r\n'));
    socket.on('data', (d: Buffer) => (page += d.toString()));
    socket.on('end', () => resolve(page));
    socket.on('error', reject);
    setTimeout(() => reject(new Error('no page within 10 s')), 10_000).unref();
  });
}

/** A certificate from our test CA for the key in `keyFile`, loaded with `passphrase`. */
function certify(keyFile: string, cn: string, passphrase?: string): string {
  const key = loadPrivateKey(readFileSync(join(dir, keyFile)), passphrase);
  const leaf = makeLeaf({
    issuer: clientCa, key: key.keyObject, commonName: cn, eku: ['clientAuth'], email: ['keys@tls13.test'],
  });
  return leaf.certPem;
}

interface KeyCase {
  title: string;
  make: () => void;
  file: string;
  passphrase?: string;
  format: string;
}

const cases: KeyCase[] = [
  {
    title: 'encrypted PKCS#8 (PBES2, AES-256), RSA-2048',
    make: () => {
      openssl(
        'genpkey',
        '-algorithm',
        'RSA',
        '-pkeyopt',
        'rsa_keygen_bits:2048',
        '-out',
        'rsa.pem',
      );
      openssl('pkcs8', '-topk8', '-in', 'rsa.pem', '-passout', 'pass:pw1', '-out', 'rsa-enc.pem');
    },
    file: 'rsa-enc.pem', passphrase: 'pw1', format: 'encrypted PKCS#8',
  },
  {
    title: 'encrypted PKCS#8 (scrypt), Ed25519',
    make: () => {
      openssl('genpkey', '-algorithm', 'ED25519', '-out', 'ed.pem');
      openssl(
        'pkcs8',
        '-topk8',
        '-scrypt',
        '-in',
        'ed.pem',
        '-passout',
        'pass:pw2',
        '-out',
        'ed-enc.pem',
      );
    },
    file: 'ed-enc.pem', passphrase: 'pw2', format: 'encrypted PKCS#8',
  },
  {
    title: 'SEC1 after an EC PARAMETERS block, CRLF line ends, P-384',
    make: () => {
      openssl('ecparam', '-name', 'secp384r1', '-genkey', '-out', 'sec1-lf.pem');
      const text = readFileSync(join(dir, 'sec1-lf.pem'), 'latin1');
      writeFileSync(join(dir, 'sec1.pem'), text.replace(/\n/g, '\r\n'));
    },
    file: 'sec1.pem', format: 'SEC1',
  },
  {
    title: 'legacy encrypted PEM (Proc-Type, AES-256-CBC), PKCS#1 RSA',
    make: () => {
      openssl(
        'genrsa',
        '-traditional',
        '-aes256',
        '-passout',
        'pass:pw3',
        '-out',
        'legacy.pem',
        '2048',
      );
    },
    file: 'legacy.pem', passphrase: 'pw3', format: 'legacy encrypted PKCS#1',
  },
  {
    title: 'PKCS#8 in DER, Ed448',
    make: () => openssl('genpkey', '-algorithm', 'ED448', '-outform', 'DER', '-out', 'ed448.der'),
    file: 'ed448.der', format: 'PKCS#8',
  },
];

for (const c of cases) {
  test.serial(`client key as ${c.title} authenticates to s_server`, async (t) => {
    c.make();
    const cn = `key format ${c.file}`;
    const cert = certify(c.file, cn, c.passphrase);
    t.is(loadPrivateKey(readFileSync(join(dir, c.file)), c.passphrase).format, c.format);
    const server = await startServer(t);
    const key = readFileSync(join(dir, c.file));
    const page = await fetchPage(server.port, { cert, key, passphrase: c.passphrase });
    t.regex(page, /^HTTP\/1\.0 200 ok/);
    t.true(page.includes(`Subject: CN=${cn}\n`), page);
    t.true(page.includes('Verify return code: 0 (ok)'), page);
  });
}

test.serial('a PKCS#12 identity from openssl pkcs12 authenticates to s_server', async (t) => {
  openssl(
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-out',
    'p12key.pem',
  );
  writeFileSync(join(dir, 'p12cert.pem'), certify('p12key.pem', 'key format pfx'));
  openssl('pkcs12', '-export', '-in', 'p12cert.pem', '-inkey', 'p12key.pem',
    '-certfile', 'client-ca.pem', '-passout', 'pass:pw4', '-out', 'id.p12');
  const identity = loadPfx(readFileSync(join(dir, 'id.p12')), 'pw4');
  const server = await startServer(t);
  const page = await fetchPage(server.port, {
    cert: identity.chain.map((c) => c.der),
    key: identity.key.keyObject.export({ type: 'pkcs8', format: 'der' }),
  });
  t.regex(page, /^HTTP\/1\.0 200 ok/);
  t.true(page.includes('Subject: CN=key format pfx\n'), page);
});
