// The key schedule beyond what RFC 8448 shows: SHA-384 suites, KeyUpdate, the exporter and the
// CertificateVerify content. The exporter and the traffic secrets are checked against OpenSSL
// through node:tls on loopback, whose keylog lines give the secrets of a real handshake.

import test from 'ava';
import * as crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import {
  EarlySecret,
  certificateVerifyContent,
  exportKeyingMaterial,
  hkdfExpandLabel,
  nextTrafficSecret,
  trafficKeys,
} from '../../lib/crypto/key-schedule';
import { NodeCryptoProvider } from '../../lib/crypto/node-provider';
import { SUITES, suiteByName, type Suite } from '../../lib/crypto/suites';
import { Transcript } from '../../lib/handshake/transcript';

const provider = new NodeCryptoProvider();
const certs = path.join(__dirname, '..', '..', 'certs');

/** HKDF-Expand-Label written out here from RFC 8446, Section 7.1, on node's hkdf primitives. */
function referenceExpandLabel(
  hash: string,
  secret: Buffer,
  label: string,
  context: Buffer,
  length: number
): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([
    Buffer.of(length >> 8, length & 0xff, full.length),
    full,
    Buffer.of(context.length),
    context,
  ]);
  let previous = Buffer.alloc(0);
  const out: Buffer[] = [];
  for (let i = 1; Buffer.concat(out).length < length; i++) {
    previous = crypto
      .createHmac(hash, secret)
      .update(Buffer.concat([previous, info, Buffer.of(i)]))
      .digest();
    out.push(previous);
  }
  return Buffer.concat(out).subarray(0, length);
}

for (const suite of SUITES) {
  test(`${suite.name}: traffic keys, KeyUpdate and labels match the reference HKDF-Expand-Label`, (t) => {
    const secret = crypto.randomBytes(suite.hashLength);
    const keys = trafficKeys(provider, suite, secret);
    t.is(keys.key.length, suite.keyLength);
    t.is(keys.iv.length, 12);
    t.true(
      keys.key.equals(
        referenceExpandLabel(suite.hash, secret, 'key', Buffer.alloc(0), suite.keyLength)
      )
    );
    t.true(keys.iv.equals(referenceExpandLabel(suite.hash, secret, 'iv', Buffer.alloc(0), 12)));

    const next = nextTrafficSecret(provider, suite, secret);
    t.is(next.length, suite.hashLength);
    t.true(
      next.equals(
        referenceExpandLabel(suite.hash, secret, 'traffic upd', Buffer.alloc(0), suite.hashLength)
      )
    );
    t.false(next.equals(secret));
    // Each update derives from the last.
    const after = nextTrafficSecret(provider, suite, next);
    t.true(
      after.equals(
        referenceExpandLabel(suite.hash, next, 'traffic upd', Buffer.alloc(0), suite.hashLength)
      )
    );

    const context = crypto.randomBytes(suite.hashLength);
    t.true(
      hkdfExpandLabel(
        provider,
        suite.hash,
        secret,
        'c hs traffic',
        context,
        suite.hashLength
      ).equals(referenceExpandLabel(suite.hash, secret, 'c hs traffic', context, suite.hashLength))
    );
  });
}

test('SHA-384: the early secret without a PSK is HKDF-Extract of 48 zero bytes', (t) => {
  const suite = suiteByName('TLS_AES_256_GCM_SHA384') as Suite;
  const zeros = Buffer.alloc(48);
  const expected = crypto.createHmac('sha384', zeros).update(zeros).digest();
  t.is(new EarlySecret(provider, suite).earlySecret.toString('hex'), expected.toString('hex'));
});

test('certificateVerifyContent: 64 spaces, the context string, a zero byte, the hash', (t) => {
  const hash = Buffer.alloc(32, 0xab);
  const server = certificateVerifyContent(true, hash);
  t.is(server.subarray(0, 64).toString('latin1'), ' '.repeat(64));
  t.is(server.subarray(64, 97).toString('latin1'), 'TLS 1.3, server CertificateVerify');
  t.is(server[97], 0);
  t.true(server.subarray(98).equals(hash));
  t.is(server.length, 130);
  t.is(
    certificateVerifyContent(false, hash).subarray(64, 97).toString('latin1'),
    'TLS 1.3, client CertificateVerify'
  );
});

test('Transcript: reading the hash before the suite is known throws; start is idempotent', (t) => {
  const suite = suiteByName('TLS_AES_128_GCM_SHA256') as Suite;
  const transcript = new Transcript(provider);
  transcript.add(Buffer.from('one'));
  t.throws(() => transcript.hash(), { message: /before the suite is known/ });
  transcript.start(suite);
  transcript.add(Buffer.from('two'));
  transcript.start(suite);
  t.is(
    transcript.hash().toString('hex'),
    crypto.createHash('sha256').update('onetwo').digest('hex')
  );
});

interface KeylogSecrets {
  [label: string]: Buffer;
}

/** One TLS 1.3 handshake between node:tls peers on loopback, with the client's keylog lines. */
async function loopbackHandshake(
  cipher: string
): Promise<{ secrets: KeylogSecrets; client: tls.TLSSocket; close: () => void }> {
  const server = tls.createServer(
    {
      key: readFileSync(path.join(certs, 'server-key.pem')),
      cert: readFileSync(path.join(certs, 'server.pem')),
      minVersion: 'TLSv1.3',
      ciphers: cipher,
    },
    (socket) => socket.on('error', () => undefined)
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const secrets: KeylogSecrets = {};
  const client = tls.connect({
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    ca: readFileSync(path.join(certs, 'ca.pem')),
    minVersion: 'TLSv1.3',
    ciphers: cipher,
  });
  client.on('keylog', (line: Buffer) => {
    const [label, , secret] = line.toString('latin1').trim().split(' ');
    secrets[label] = Buffer.from(secret, 'hex');
  });
  await once(client, 'secureConnect');
  return {
    secrets,
    client,
    close: () => {
      client.destroy();
      server.close();
    },
  };
}

for (const suite of SUITES) {
  test(`${suite.name}: exporter matches OpenSSL's exportKeyingMaterial on a loopback handshake`, async (t) => {
    const { secrets, client, close } = await loopbackHandshake(suite.name);
    try {
      t.is(client.getCipher().standardName, suite.standardName);
      const exporter = secrets.EXPORTER_SECRET;
      t.truthy(exporter, 'keylog gave EXPORTER_SECRET');
      t.is(exporter.length, suite.hashLength);

      const context = Buffer.from('some context');
      for (const length of [16, 32, 100]) {
        const theirs = client.exportKeyingMaterial(length, 'EXPERIMENTAL-tls13-test', context);
        const ours = exportKeyingMaterial(
          provider,
          suite,
          exporter,
          'EXPERIMENTAL-tls13-test',
          context,
          length
        );
        t.is(ours.toString('hex'), theirs.toString('hex'), `${length} bytes with context`);
      }
      // TLS 1.3 treats no context as an empty one (RFC 8446, Section 7.5).
      // Node accepts the call without a context, though its type definitions do not say so.
      const exportNoContext = client.exportKeyingMaterial as unknown as (
        length: number,
        label: string
      ) => Buffer;
      const noContext = exportNoContext.call(client, 32, 'EXPERIMENTAL-tls13-test');
      t.is(
        exportKeyingMaterial(
          provider,
          suite,
          exporter,
          'EXPERIMENTAL-tls13-test',
          undefined,
          32
        ).toString('hex'),
        noContext.toString('hex')
      );
      t.is(
        exportKeyingMaterial(
          provider,
          suite,
          exporter,
          'EXPERIMENTAL-tls13-test',
          Buffer.alloc(0),
          32
        ).toString('hex'),
        noContext.toString('hex')
      );

      // Every keylog secret has the suite's hash length.
      for (const label of [
        'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
        'SERVER_HANDSHAKE_TRAFFIC_SECRET',
        'CLIENT_TRAFFIC_SECRET_0',
        'SERVER_TRAFFIC_SECRET_0',
      ]) {
        t.is(secrets[label]?.length, suite.hashLength, label);
      }
    } finally {
      close();
    }
  });
}
