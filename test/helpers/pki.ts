// Certificates for the client tests: the demo PKI of certs/ (see certs/README.md) for the good
// identities, and the certificate factory for servers a client must refuse, made once per
// process under a root of their own that the tests trust where the case needs it.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { makeCa, makeLeaf, type Issued } from './cert-factory';

/** The files of certs/ that the client tests read. */
export type DemoFile =
  | 'ca.pem' | 'intermediate.pem' | 'other-ca.pem' | 'server.pem' | 'server-key.pem'
  | 'server-ed25519.pem' | 'server-ed25519-key.pem' | 'server-ed448.pem' | 'server-ed448-key.pem'
  | 'server-rsa-pss.pem' | 'server-rsa-pss-key.pem' | 'server-rsa.pem' | 'server-rsa-key.pem'
  | 'client-ecdsa.pem' | 'client-ecdsa-key.pem' | 'client-rsa.pem' | 'client-rsa-key.pem'
  | 'untrusted-client.pem' | 'untrusted-client-key.pem' | 'expired-client.pem'
  | 'expired-client-key.pem' | 'client-ed25519.pem' | 'client-ed25519-key.pem';

/** The name every demo server certificate carries (with 127.0.0.1 and ::1). */
export const SERVER_NAME = 'localhost';

const CERTS = path.resolve(__dirname, '..', '..', 'certs');

export function demoPath(name: DemoFile): string {
  return path.join(CERTS, name);
}

export function demo(name: DemoFile): Buffer {
  return readFileSync(demoPath(name));
}

/** A server identity as PEM text, with the files openssl and gnutls need. */
export interface BadServer {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

export interface BadServers {
  /** The root that issued `expired` and `wrongName`; trust it to reach the check that fails. */
  root: string;
  /** Valid during 2015 only. */
  expired: BadServer;
  /** Names elsewhere.test only. */
  wrongName: BadServer;
  /** Self-signed, for localhost. */
  selfSigned: BadServer;
  /** For localhost, issued by a root nobody trusts. */
  untrusted: BadServer;
  /** Issued by `root` for localhost, but its common name writes 127.0.0.1 with leading zeros. */
  zeroPaddedCommonName: BadServer;
}

let bad: BadServers | undefined;

export function badServers(): BadServers {
  if (bad) return bad;
  const dir = mkdtempSync(path.join(tmpdir(), 'tls13-client-certs-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const save = (name: string, issued: Issued): BadServer => {
    const certFile = path.join(dir, `${name}.pem`);
    const keyFile = path.join(dir, `${name}-key.pem`);
    writeFileSync(certFile, issued.certPem);
    writeFileSync(keyFile, issued.keyPem);
    return { cert: issued.certPem, key: issued.keyPem, certFile, keyFile };
  };
  const serverName = { dns: [SERVER_NAME], ip: ['127.0.0.1', '::1'], eku: ['serverAuth'] };
  const root = makeCa({ commonName: 'tls13 client tests root' });
  const stranger = makeCa({ commonName: 'tls13 client tests stranger root' });
  bad = {
    root: root.certPem,
    expired: save('expired', makeLeaf({
      issuer: root, commonName: SERVER_NAME, ...serverName,
      notBefore: new Date('2015-01-01T00:00:00Z'), notAfter: new Date('2016-01-01T00:00:00Z'),
    })),
    wrongName: save('wrong-name', makeLeaf({
      issuer: root, commonName: 'elsewhere.test', dns: ['elsewhere.test'], eku: ['serverAuth'],
    })),
    selfSigned: save('self-signed', makeLeaf({ commonName: SERVER_NAME, ...serverName })),
    untrusted: save('untrusted',
      makeLeaf({ issuer: stranger, commonName: SERVER_NAME, ...serverName })),
    zeroPaddedCommonName: save('zero-padded-cn',
      makeLeaf({ issuer: root, commonName: '127.000.000.001', ...serverName })),
  };
  return bad;
}
