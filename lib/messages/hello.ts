// ClientHello and ServerHello (RFC 8446, Sections 4.1.2 and 4.1.3). A HelloRetryRequest is a
// ServerHello with a special random; telling them apart is the handshake's business.

import { Reader } from '../codec/reader';
import { Writer } from '../codec/writer';
import { HandshakeType } from '../protocol/registry';
import { decodeExtensions, encodeExtensions, type Extension } from './extensions';
import { encodeHandshake } from './handshake';

export interface ClientHello {
  legacyVersion: number;
  random: Buffer;
  legacySessionId: Buffer;
  cipherSuites: number[];
  legacyCompressionMethods: Buffer;
  extensions: Extension[];
}

export interface ServerHello {
  legacyVersion: number;
  random: Buffer;
  legacySessionId: Buffer;
  cipherSuite: number;
  legacyCompressionMethod: number;
  extensions: Extension[];
}

export function decodeClientHello(body: Buffer): ClientHello {
  const r = new Reader(body);
  const legacyVersion = r.u16('legacy_version');
  const random = r.bytes(32, 'random');
  const legacySessionId = r.vector(1, 0, 32, 'legacy_session_id');
  const suites = r.sub(2, 2, 0xfffe, 'cipher_suites');
  const cipherSuites: number[] = [];
  while (suites.remaining > 1) cipherSuites.push(suites.u16('cipher_suite'));
  suites.end('cipher_suites');
  const legacyCompressionMethods = r.vector(1, 1, 0xff, 'legacy_compression_methods');
  // A ClientHello of an old client may stop here; TLS 1.3 needs extensions (Section 4.1.2).
  const extensions = r.remaining > 0 ? decodeExtensions(r, 'ClientHello') : [];
  r.end('ClientHello');
  return {
    legacyVersion,
    random,
    legacySessionId,
    cipherSuites,
    legacyCompressionMethods,
    extensions,
  };
}

export function encodeClientHello(m: ClientHello): Buffer {
  return encodeHandshake(
    HandshakeType.client_hello,
    (w) => {
      w.u16(m.legacyVersion).bytes(m.random).opaque(1, m.legacySessionId);
      w.vector(2, () => m.cipherSuites.forEach((s) => w.u16(s)));
      w.opaque(1, m.legacyCompressionMethods);
      encodeExtensions(w, m.extensions);
    },
    512,
  );
}

export function decodeServerHello(body: Buffer): ServerHello {
  const r = new Reader(body);
  const legacyVersion = r.u16('legacy_version');
  const random = r.bytes(32, 'random');
  const legacySessionId = r.vector(1, 0, 32, 'legacy_session_id_echo');
  const cipherSuite = r.u16('cipher_suite');
  const legacyCompressionMethod = r.u8('legacy_compression_method');
  const extensions = r.remaining > 0 ? decodeExtensions(r, 'ServerHello') : [];
  r.end('ServerHello');
  return {
    legacyVersion,
    random,
    legacySessionId,
    cipherSuite,
    legacyCompressionMethod,
    extensions,
  };
}

export function encodeServerHello(m: ServerHello): Buffer {
  return encodeHandshake(HandshakeType.server_hello, (w: Writer) => {
    w.u16(m.legacyVersion).bytes(m.random).opaque(1, m.legacySessionId);
    w.u16(m.cipherSuite).u8(m.legacyCompressionMethod);
    encodeExtensions(w, m.extensions);
  });
}
