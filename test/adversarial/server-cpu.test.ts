// CPU cost of a ClientHello as a function of its size. A ClientHello may carry up to 64 KB of
// extensions; the work it causes before we refuse it should grow linearly with that.
//
// Bug: lib/handshake/negotiation.ts, checkShares runs `offered.includes(share.group)` for every
// key share, a scan of the whole supported_groups list each time: with 16000 groups and 6500
// one-byte key shares (64 KB in all) that is 10^8 comparisons, about 100 ms of CPU for one
// ClientHello, where a hello of the same size without that shape costs well under 1 ms.

import { Duplex } from 'node:stream';
import test from 'ava';
import { createServer } from '../../lib/index';
import * as ext from '../../lib/messages/extensions';
import { encodeClientHello } from '../../lib/messages/hello';
import {
  CipherSuite, ExtensionType as E, ProtocolVersion, SignatureScheme,
} from '../../lib/protocol/registry';
import { demo } from '../helpers/pki';
import { record } from './raw';

const GROUPS = 16000;
const SHARES = 6500;

function hello(quadratic: boolean): Buffer {
  const groups = Array.from({ length: GROUPS }, (_, i) => 0x8000 + i);
  // Shares for the last groups of the list (each scan runs to the end), or a single one and
  // padding of the same size.
  const shares = Array.from({ length: quadratic ? SHARES : 1 },
    (_, i) => ({ group: 0x8000 + GROUPS - 1 - i, keyExchange: Buffer.of(1) }));
  const padding = quadratic ? [] : [{ type: E.padding, data: Buffer.alloc((SHARES - 1) * 5 - 4) }];
  return encodeClientHello({
    legacyVersion: ProtocolVersion.TLS1_2, random: Buffer.alloc(32, 1),
    legacySessionId: Buffer.alloc(0), cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256],
    legacyCompressionMethods: Buffer.of(0),
    extensions: [
      { type: E.supported_groups, data: ext.namedGroupList.encode(groups) },
      { type: E.key_share, data: ext.keyShareClientHello.encode(shares) },
      ...padding,
      { type: E.signature_algorithms,
        data: ext.signatureSchemeList.encode([SignatureScheme.ecdsa_secp256r1_sha256]) },
      { type: E.supported_versions, data: ext.supportedVersionsList.encode([ProtocolVersion.TLS1_3]) },
    ],
  });
}

function records(message: Buffer): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < message.length; at += 16384) {
    out.push(record(22, message.subarray(at, at + 16384)));
  }
  return Buffer.concat(out);
}

/** Milliseconds our server spends on `bytes` until it refuses them (best of three). */
function cost(bytes: Buffer): number {
  const server = createServer({ cert: demo('server.pem'), key: demo('server-key.pem') });
  server.on('tlsClientError', () => undefined);
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const transport = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
    server.emit('connection', transport);
    const start = process.hrtime.bigint();
    // The socket hands the chunk to the engine synchronously on 'data'.
    transport.emit('data', bytes);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
    transport.destroy();
  }
  return best;
}

test.failing('server: a 64 KB ClientHello costs about what any 64 KB ClientHello costs', (t) => {
  const quadratic = records(hello(true));
  const linear = records(hello(false));
  t.true(Math.abs(quadratic.length - linear.length) < 64, 'the two hellos have the same size');
  const slow = cost(quadratic);
  const fast = cost(linear);
  t.log(`${quadratic.length} bytes: ${slow.toFixed(1)} ms with ${SHARES} key shares, ` +
    `${fast.toFixed(1)} ms with one`);
  t.true(slow < fast * 5 + 5, 'no quadratic work in the key shares');
});
