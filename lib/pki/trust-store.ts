// The default trust anchors: Node's bundled roots plus the file named by NODE_EXTRA_CA_CERTS.
//
// Node 20 reads NODE_EXTRA_CA_CERTS into OpenSSL's store but does not expose the result, so we
// read the file ourselves, once, as Node does at startup. Parsing 140-odd roots costs a few
// milliseconds, paid on first use and cached for the life of the process.

import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { debuglog } from 'node:util';

import { type Certificate, loadCertificates, parseCertificate } from './certificate';
import { decodePem, looksLikePem, type PemBlock } from './pem';

const debug = debuglog('tls13');

let cached: readonly Certificate[] | undefined;

/** The default trust store; certificates that cannot be used as anchors are left out. */
export function defaultTrustStore(): Certificate[] {
  cached ??= Object.freeze(dedupe([...bundledRoots(), ...extraCertificates()]));
  return [...cached];
}

/** Forgets the cached store, so that a test can change NODE_EXTRA_CA_CERTS. */
export function resetDefaultTrustStore(): void {
  cached = undefined;
}

// The system bundle that NODE_EXTRA_CA_CERTS often names repeats most of Node's own roots.
function dedupe(certs: Certificate[]): Certificate[] {
  const seen = new Set<Certificate>();
  return certs.filter((cert) => !seen.has(cert) && seen.add(cert));
}

function bundledRoots(): Certificate[] {
  return rootCertificates.flatMap((pem) => {
    try {
      return loadCertificates(pem);
    } catch (err) {
      debug('trust store: skipping a bundled root: %s', (err as Error).message);
      return [];
    }
  });
}

// As in Node, a missing or unreadable file is reported and otherwise ignored.
function extraCertificates(): Certificate[] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file) return [];
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch (err) {
    process.emitWarning(
      `Ignoring extra certs from \`${file}\`, load failed: ${(err as Error).message}`,
    );
    return [];
  }
  // One unusable certificate in a bundle costs only itself, not the rest of the file.
  let blocks: PemBlock[];
  try {
    blocks = looksLikePem(text.toString('latin1')) ? decodePem(text.toString('latin1')) : [];
  } catch (err) {
    process.emitWarning(`Ignoring extra certs from \`${file}\`: ${(err as Error).message}`);
    return [];
  }
  return blocks
    .filter((b) => b.label === 'CERTIFICATE')
    .flatMap((block) => {
      try {
        return [parseCertificate(block.der)];
      } catch (err) {
        debug('trust store: skipping a certificate of %s: %s', file, (err as Error).message);
        return [];
      }
    });
}
