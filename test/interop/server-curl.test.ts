// curl against the example server (examples/server.ts, in process and as the command-line
// program) and against http.createServer() fed by our server: the page, the client
// certificate the handler sees, refusals, the trace, the key log and a clean SIGINT.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import test, { type ExecutionContext } from 'ava';
import { startServer, type ServerProgramOptions } from '../../examples/server';
import type { TlsSocket } from '../../lib/index';
import { LOOPBACK, Peer, certFile, readCert, runPeer, startTestServer } from '../server/helpers';

/** curl to https://localhost:PORT/ pinned to 127.0.0.1, so no other address is tried. */
function curlArgs(port: number, extra: readonly string[]): string[] {
  return ['-sS', '--max-time', '15', '--resolve', `localhost:${port}:${LOOPBACK}`,
    '--cacert', certFile('ca.pem'), ...extra, `https://localhost:${port}/`];
}

function identity(name: string): string[] {
  return ['--cert', certFile(`${name}.pem`), '--key', certFile(`${name}-key.pem`)];
}

async function example(t: ExecutionContext,
  options: ServerProgramOptions): Promise<{ port: number; trace: () => string }> {
  const out = new PassThrough();
  let trace = '';
  out.on('data', (chunk: Buffer) => {
    trace += chunk.toString();
  });
  const running = await startServer({ ...options, traceOutput: out });
  t.teardown(() => running.close());
  return { port: running.port, trace: () => trace };
}

test('curl with a client certificate: a page about the session and the certificate', async (t) => {
  const { port } = await example(t, { requestCert: true, alpn: ['http/1.1'] });
  const { code, output } = await runPeer(t, 'curl', curlArgs(port, identity('client-ecdsa')));
  t.is(code, 0, output);
  t.regex(output, /protocol: +TLSv1\.3/);
  t.regex(output, /cipher: +TLS_AES_128_GCM_SHA256/);
  t.regex(output, /group: +x25519/);
  t.regex(output, /ALPN: +http\/1\.1/);
  t.regex(output, /SNI: +localhost/);
  t.regex(output, /subject: +O=tls13, CN=tls13 Demo Client \(ECDSA\)/);
  t.regex(output, /issuer: +O=tls13, CN=tls13 Demo Intermediate CA/);
  t.regex(output, /valid to: +\w{3} +\d+ [\d:]+ \d{4} GMT/);
  t.regex(output, /SHA-256: +([0-9A-F]{2}:){31}[0-9A-F]{2}/);
  t.regex(output, /accepted: +yes/);
});

test('curl without a client certificate, --request-cert: the page says none came', async (t) => {
  const { port } = await example(t, { requestCert: true });
  const { code, output } = await runPeer(t, 'curl', curlArgs(port, []));
  t.is(code, 0, output);
  t.regex(output, /none: the client sent no certificate \(authorizationError: \w+\)/);
});

test('curl with an untrusted certificate, --request-cert: the page says why not', async (t) => {
  const { port } = await example(t, { requestCert: true });
  const { code, output } = await runPeer(t, 'curl', curlArgs(port, identity('untrusted-client')));
  t.is(code, 0, output);
  t.regex(output, /subject: +O=elsewhere, CN=Untrusted Demo Client/);
  t.regex(output, /accepted: +no \(authorizationError: UNABLE_TO_GET_ISSUER_CERT_LOCALLY\)/);
});

test('curl without a client certificate, --require-cert: certificate_required', async (t) => {
  const { port, trace } = await example(t, { requireCert: true, trace: true });
  const { code, output } = await runPeer(t, 'curl', curlArgs(port, []));
  t.not(code, 0);
  t.regex(output, /alert certificate required/);
  t.regex(trace(), /server >>> alert certificate_required/);
  t.regex(trace(), /handshake refused: ERR_TLS13_CERTIFICATE_REQUIRED/);
});

test('curl with an untrusted certificate, --require-cert: curl fails on unknown_ca', async (t) => {
  const { port, trace } = await example(t, { requireCert: true, trace: true });
  const { code, output } = await runPeer(t, 'curl', curlArgs(port, identity('untrusted-client')));
  t.not(code, 0);
  t.regex(output, /alert unknown ca/);
  t.regex(trace(), /BAD certificate chain: UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
  t.regex(trace(), /server >>> alert unknown_ca/);
});

// The handler sees what HTTP frameworks read: an encrypted socket, the peer and its certificate.
test('http.createServer behind our server answers curl', async (t) => {
  const { server, port } = await startTestServer(t, { requestCert: true, ca: readCert('ca.pem') });
  server.removeAllListeners('secureConnection');
  const seen: Array<{ encrypted: unknown; cn: unknown; address: unknown; port: unknown }> = [];
  const web = http.createServer((req, res) => {
    const socket = req.socket as unknown as TlsSocket;
    const cn = (socket.getPeerCertificate().subject as Record<string, string> | undefined)?.CN;
    seen.push({
      encrypted: (req.socket as { encrypted?: unknown }).encrypted, cn,
      address: req.socket.remoteAddress, port: req.socket.remotePort,
    });
    res.end(`hello ${cn}\n`);
  });
  server.on('secureConnection', (socket: TlsSocket) => web.emit('connection', socket));
  t.teardown(() => web.close());

  const { code, output } = await runPeer(t, 'curl', curlArgs(port, identity('client-rsa')));
  t.is(code, 0, output);
  t.is(output, 'hello tls13 Demo Client (RSA)\n');
  t.is(seen.length, 1);
  t.is(seen[0].encrypted, true);
  t.is(seen[0].cn, 'tls13 Demo Client (RSA)');
  t.is(seen[0].address, LOOPBACK);
  t.true(typeof seen[0].port === 'number' && seen[0].port > 0);
});

test('the command-line server: port, trace on stderr, key log, exit 0 on SIGINT', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tls13-example-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const keylog = path.join(dir, 'keys.txt');
  const root = path.resolve(__dirname, '..', '..');
  const program = new Peer(t, process.execPath, ['-r', 'ts-node/register/transpile-only',
    path.join('examples', 'server.ts'), '--port', '0', '--require-cert', '--trace',
    '--keylog', keylog],
  { cwd: root, env: { ...process.env, SSLKEYLOGFILE: '' } });
  const [, port] = await program.waitFor(/listening on https:\/\/127\.0\.0\.1:(\d+)\//, 30_000);

  const good = await runPeer(t, 'curl', curlArgs(Number(port), identity('client-ed25519')));
  t.is(good.code, 0, good.output);
  t.regex(good.output, /subject: +O=tls13, CN=tls13 Demo Client \(Ed25519\)/);
  const refused = await runPeer(t, 'curl', curlArgs(Number(port), []));
  t.not(refused.code, 0);
  await program.waitFor(/\[#2\] handshake refused: ERR_TLS13_CERTIFICATE_REQUIRED/);

  t.regex(program.output, /\[#1\] server <<< ClientHello/);
  t.regex(program.output, /\[#1\] server ok +certificate chain: built/);
  t.regex(program.output, /\[#1\] secure: TLSv1\.3/);
  const lines = readFileSync(keylog, 'latin1').trim().split('\n');
  t.true(lines.some((l) => /^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]+$/.test(l)));
  t.true(lines.some((l) => l.startsWith('SERVER_TRAFFIC_SECRET_0 ')));

  program.child.kill('SIGINT');
  t.is(await program.exit(), 0);
});
