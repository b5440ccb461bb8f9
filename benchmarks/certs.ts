// Finds the demo certificates in certs/, or makes a throwaway ECDSA P-256 set with the openssl
// CLI when they are not there yet, so that a benchmark never waits on another checkout's work.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** Paths of the PEM files a benchmark needs; the peer process reads them itself. */
export interface CertPaths {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Where they came from, for the report: "certs/" or "generated". */
  origin: string;
}

const NAMES = [
  'ca.pem', 'server.pem', 'server-key.pem', 'client-ecdsa.pem', 'client-ecdsa-key.pem',
];

export function findCerts(): { certs: CertPaths; cleanup: () => void } {
  const dir = path.join(projectRoot(), 'certs');
  if (NAMES.every((name) => existsSync(path.join(dir, name)))) {
    return { certs: pathsIn(dir, 'certs/'), cleanup: () => undefined };
  }
  const temp = mkdtempSync(path.join(tmpdir(), 'tls13-bench-'));
  generate(temp);
  return { certs: pathsIn(temp, 'generated'), cleanup: () => rmSync(temp, { recursive: true }) };
}

function pathsIn(dir: string, origin: string): CertPaths {
  const [ca, serverCert, serverKey, clientCert, clientKey] = NAMES.map((n) => path.join(dir, n));
  return { ca, serverCert, serverKey, clientCert, clientKey, origin };
}

function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the benchmarks');
    dir = parent;
  }
  return dir;
}

// A CA and two leaves signed by it, all P-256 with SHA-256, valid for a day.
function generate(dir: string): void {
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const newKey = (file: string): void => {
    run('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file);
  };

  newKey('ca-key.pem');
  run('req', '-x509', '-new', '-key', 'ca-key.pem', '-sha256', '-days', '1',
    '-subj', '/CN=tls13 benchmark CA', '-out', 'ca.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign');

  const leaf = (name: string, cn: string, ext: string): void => {
    newKey(`${name}-key.pem`);
    run('req', '-new', '-key', `${name}-key.pem`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`);
    writeFileSync(path.join(dir, `${name}.ext`), ext);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem',
      '-CAcreateserial', '-sha256', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  };
  leaf('server', 'localhost', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ].join('\n'));
  leaf('client-ecdsa', 'tls13 benchmark client', [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=clientAuth',
  ].join('\n'));
}
