// The tls13-server command (examples/server.ts) as a user meets it: what the package ships for
// its defaults, --help, options it refuses at start, and the line that says which trust store
// checks client certificates.

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import test from 'ava';
import { httpsGet } from '../../examples/https-get';
import { parseArgs, startServer } from '../../examples/server';
import { Peer, certFile, readCert } from '../server/helpers';

const ROOT = path.resolve(__dirname, '..', '..');
const PROGRAM = ['-r', 'ts-node/register/transpile-only', path.join('examples', 'server.ts')];

type Ran = { status: number | null; stdout: string; stderr: string };

/** Runs the command to its end; only for arguments that never reach listen(). */
function run(args: readonly string[]): Promise<Ran> {
  const child = spawn(process.execPath, [...PROGRAM, ...args], {
    cwd: ROOT,
    env: { ...process.env, SSLKEYLOGFILE: '' },
    timeout: 30_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

// `npm install` gets only the paths of "files"; the defaults must be among them.
test('the package ships every demo file the server reads by default', (t) => {
  const source = readFileSync(path.join(ROOT, 'examples', 'server.ts'), 'utf8');
  const defaults = [...source.matchAll(/certPath\('([^']+)'\)/g)].map((m) => `certs/${m[1]}`);
  t.true(defaults.includes('certs/server.pem') && defaults.includes('certs/ca.pem'));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const pack = spawnSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.is(pack.status, 0, pack.stderr);
  const [listing] = JSON.parse(pack.stdout) as Array<{ files: Array<{ path: string }> }>;
  const shipped = new Set(listing.files.map((f) => f.path));
  for (const file of defaults) t.true(shipped.has(file), `${file} is not in the package`);

  // A shipped example may only import what an installed package has: its dependencies.
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const examples = [...shipped].filter((f) => /^dist\/examples\/[^/]+\.js$/.test(f));
  t.true(examples.includes('dist/examples/server.js'));
  for (const file of examples) {
    const name = path.basename(file, '.js');
    const ts = readFileSync(path.join(ROOT, 'examples', `${name}.ts`), 'utf8');
    const packages = [...ts.matchAll(/from '([^.'][^']*)'/g)].map((m) => m[1])
      .filter((p) => !p.startsWith('node:'));
    const missing = packages.filter((p) => !(p in manifest.dependencies));
    t.deepEqual(missing, [], `${file} imports what the package does not depend on`);
  }
});

test('--help prints the usage on stdout and exits 0', async (t) => {
  const { status, stdout, stderr } = await run(['--help']);
  t.is(status, 0, stderr);
  t.regex(stdout, /^usage: tls13-server /);
  t.is(stderr, '');
  t.is(parseArgs(['-h']), 'help');
});

test('an unknown option prints the usage on stderr and exits 2', async (t) => {
  const { status, stdout, stderr } = await run(['--bogus']);
  t.is(status, 2);
  t.is(stdout, '');
  t.regex(stderr, /^unknown argument --bogus\nusage: tls13-server /);
});

// The page is HTTP/1.1; a client that agreed on h2 would send frames it cannot read.
test('--alpn with h2 is refused at start: this server speaks HTTP/1.1 only', async (t) => {
  const { status, stderr } = await run(['--alpn', 'h2,http/1.1']);
  t.is(status, 2);
  t.is(stderr, '--alpn: h2 cannot be offered, this server answers HTTP/1.1 only\n');
  const options = parseArgs(['--alpn', 'http/1.1,x-test']);
  t.deepEqual(options !== 'help' && options.alpn, ['http/1.1', 'x-test']);
});

test('client certificate trust: the demo CA with the demo identity, else named', async (t) => {
  const demo = await startServer({ requireCert: true });
  t.teardown(() => demo.close());
  t.regex(demo.clientTrust ?? '', /^the demo CA \(.*ca\.pem\)$/);

  const own = await startServer({
    cert: certFile('server-rsa.pem'),
    key: certFile('server-rsa-key.pem'),
    requestCert: true,
  });
  t.teardown(() => own.close());
  t.regex(own.clientTrust ?? '', /^Node's default trust store/);
  const identity = {
    ca: readCert('ca.pem'),
    cert: readCert('client-ecdsa.pem'),
    key: readCert('client-ecdsa-key.pem'),
  };
  const accepted = await httpsGet(`https://127.0.0.1:${demo.port}/`, identity);
  t.regex(accepted.body, /accepted: +yes/);
  const byRoots = await httpsGet(`https://127.0.0.1:${own.port}/`, identity);
  t.regex(byRoots.body, /accepted: +no \(authorizationError: UNABLE_TO_GET_ISSUER_CERT_LOCALLY\)/);

  const given = await startServer({ requestCert: true, ca: certFile('other-ca.pem') });
  t.teardown(() => given.close());
  t.is(given.clientTrust, `the CA file ${certFile('other-ca.pem')}`);

  const none = await startServer({});
  t.teardown(() => none.close());
  t.is(none.clientTrust, undefined);
});

test('the command says on stderr which trust store checks client certificates', async (t) => {
  const program = new Peer(
    t,
    process.execPath,
    [...PROGRAM, '--port', '0', '--request-cert', '--cert', certFile('server-rsa.pem'),
      '--key', certFile('server-rsa-key.pem')],
    { cwd: ROOT, env: { ...process.env, SSLKEYLOGFILE: '' } },
  );
  // Two pipes: the lines come in either order.
  await program.waitFor(/listening on https:\/\/127\.0\.0\.1:\d+\//, 30_000);
  await program.waitFor(/client certificates are checked against Node's default trust store/);
  program.child.kill('SIGINT');
  t.is(await program.exit(), 0);
});
