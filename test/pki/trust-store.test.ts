import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';

import { verifyCertificateChain } from '../../lib/pki/chain';
import { readCertificateFile } from '../../lib/pki/certificate';
import { defaultTrustStore, resetDefaultTrustStore } from '../../lib/pki/trust-store';

const certs = join(__dirname, '..', '..', 'certs');
const dir = mkdtempSync(join(tmpdir(), 'tls13-store-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

test.serial('holds Node\'s bundled roots, parsed once', (t) => {
  delete process.env.NODE_EXTRA_CA_CERTS;
  resetDefaultTrustStore();
  const store = defaultTrustStore();
  t.true(store.length >= rootCertificates.length - 2);
  t.true(store.every((c) => c.isCA || c.version === 1));
  const again = defaultTrustStore();
  t.not(again, store);
  t.is(again[0], store[0]);
});

test.serial('adds the file named by NODE_EXTRA_CA_CERTS', (t) => {
  const file = join(dir, 'extra.pem');
  writeFileSync(file, `# demo root\n${readFileSync(join(certs, 'ca.pem'), 'utf8')}`);
  process.env.NODE_EXTRA_CA_CERTS = file;
  resetDefaultTrustStore();
  const [leaf, intermediate] = readCertificateFile(join(certs, 'server.pem'));
  const result = verifyCertificateChain({
    leaf,
    intermediates: [intermediate],
    name: 'localhost',
    purpose: 'server',
  });
  t.true(result.ok);
  if (result.ok) t.is(result.chain[2].subjectText, 'CN=tls13 Demo Root CA, O=tls13');
});

test.serial('a missing NODE_EXTRA_CA_CERTS file is a warning, not an error', (t) => {
  process.env.NODE_EXTRA_CA_CERTS = join(dir, 'absent.pem');
  resetDefaultTrustStore();
  // Node's own printer is set aside so the expected warning does not clutter the test output.
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  const warnings: string[] = [];
  process.on('warning', (w: Error) => warnings.push(w.message));
  const store = defaultTrustStore();
  t.true(store.length > 100);
  return new Promise<void>((resolve) => setImmediate(() => {
    process.removeAllListeners('warning');
    for (const printer of printers) process.on('warning', printer);
    t.true(warnings.some((w) => w.startsWith('Ignoring extra certs from')));
    resolve();
  }));
});
