// The TLS 1.3 key schedule (RFC 8446, Section 7.1), as staged objects named after its secrets.
// Every HKDF label string of the protocol lives in this file.
//
// How the secrets follow from one another, top to bottom:
//
//   zeros or a PSK  --Extract(salt 0)-->  earlySecret
//        earlySecret  --Derive "ext binder" / "res binder"-->  binderKey
//        earlySecret  --Derive "derived" (empty transcript)-->  salt for the next Extract
//   (EC)DHE secret  --Extract(that salt)-->  handshakeSecret
//        handshakeSecret  --Derive "c hs traffic" (ClientHello..ServerHello)-->  client side
//        handshakeSecret  --Derive "s hs traffic" (ClientHello..ServerHello)-->  server side
//        handshakeSecret  --Derive "derived" (empty transcript)-->  salt for the next Extract
//   zeros  --Extract(that salt)-->  masterSecret
//        masterSecret  --Derive "c ap traffic" / "s ap traffic" (..server Finished)-->  traffic
//        masterSecret  --Derive "exp master" (..server Finished)-->  exporterMasterSecret
//        masterSecret  --Derive "res master" (..client Finished)-->  resumptionMasterSecret
//
// Each traffic secret yields a write key and IV ("key", "iv"), a finishedKey ("finished") and,
// on KeyUpdate, its successor ("traffic upd").

import type { CryptoProvider } from './provider';
import { IV_LENGTH, type HashName, type Suite } from './suites';

const LABEL_PREFIX = Buffer.from('tls13 ', 'latin1');

/** HKDF-Expand-Label (RFC 8446, Section 7.1). */
export function hkdfExpandLabel(
  provider: CryptoProvider,
  hash: HashName,
  secret: Buffer,
  label: string,
  context: Buffer,
  length: number,
): Buffer {
  const labelBytes = Buffer.from(label, 'latin1');
  const info = Buffer.allocUnsafe(
    2 + 1 + LABEL_PREFIX.length + labelBytes.length + 1 + context.length,
  );
  let at = info.writeUInt16BE(length, 0);
  info[at++] = LABEL_PREFIX.length + labelBytes.length;
  at += LABEL_PREFIX.copy(info, at);
  at += labelBytes.copy(info, at);
  info[at++] = context.length;
  context.copy(info, at);
  return provider.hkdfExpand(hash, secret, info, length);
}

/** Derive-Secret with the transcript hash already computed. */
export function deriveSecret(
  provider: CryptoProvider,
  suite: Suite,
  secret: Buffer,
  label: string,
  transcriptHash: Buffer,
): Buffer {
  return hkdfExpandLabel(provider, suite.hash, secret, label, transcriptHash, suite.hashLength);
}

/** The hash of the empty string, which Derive-Secret(., "derived", "") takes. */
function emptyHash(provider: CryptoProvider, suite: Suite): Buffer {
  return provider.hash(suite.hash, Buffer.alloc(0));
}

export interface TrafficKeys {
  key: Buffer;
  iv: Buffer;
}

/** The record protection key and IV of a traffic secret (RFC 8446, Section 7.3). */
export function trafficKeys(provider: CryptoProvider, suite: Suite, secret: Buffer): TrafficKeys {
  const empty = Buffer.alloc(0);
  return {
    key: hkdfExpandLabel(provider, suite.hash, secret, 'key', empty, suite.keyLength),
    iv: hkdfExpandLabel(provider, suite.hash, secret, 'iv', empty, IV_LENGTH),
  };
}

/** application_traffic_secret_N+1 (RFC 8446, Section 7.2). */
export function nextTrafficSecret(provider: CryptoProvider, suite: Suite, secret: Buffer): Buffer {
  return hkdfExpandLabel(
    provider,
    suite.hash,
    secret,
    'traffic upd',
    Buffer.alloc(0),
    suite.hashLength,
  );
}

/** finished_key, the HMAC key for Finished (RFC 8446, Section 4.4.4). */
export function finishedKey(provider: CryptoProvider, suite: Suite, baseKey: Buffer): Buffer {
  return hkdfExpandLabel(
    provider,
    suite.hash,
    baseKey,
    'finished',
    Buffer.alloc(0),
    suite.hashLength,
  );
}

/** verify_data = HMAC(finished_key, Transcript-Hash(...)). */
export function verifyData(
  provider: CryptoProvider,
  suite: Suite,
  baseKey: Buffer,
  transcriptHash: Buffer,
): Buffer {
  return provider.hmac(suite.hash, finishedKey(provider, suite, baseKey), transcriptHash);
}

export class EarlySecret {
  readonly earlySecret: Buffer;
  readonly #provider: CryptoProvider;
  readonly #suite: Suite;

  /** Without a PSK the early secret is Extract(0, 0): the same for every connection. */
  constructor(provider: CryptoProvider, suite: Suite, psk?: Buffer) {
    this.#provider = provider;
    this.#suite = suite;
    const zeros = Buffer.alloc(suite.hashLength);
    this.earlySecret = provider.hkdfExtract(suite.hash, zeros, psk ?? zeros);
  }

  binderKey(resumption: boolean): Buffer {
    const label = resumption ? 'res binder' : 'ext binder';
    return deriveSecret(
      this.#provider,
      this.#suite,
      this.earlySecret,
      label,
      emptyHash(this.#provider, this.#suite),
    );
  }

  handshakeSecret(sharedSecret: Buffer): HandshakeSecret {
    const salt = deriveSecret(
      this.#provider,
      this.#suite,
      this.earlySecret,
      'derived',
      emptyHash(this.#provider, this.#suite),
    );
    const secret = this.#provider.hkdfExtract(this.#suite.hash, salt, sharedSecret);
    return new HandshakeSecret(this.#provider, this.#suite, secret);
  }
}

export class HandshakeSecret {
  readonly #provider: CryptoProvider;
  readonly #suite: Suite;
  readonly handshakeSecret: Buffer;

  constructor(provider: CryptoProvider, suite: Suite, handshakeSecret: Buffer) {
    this.#provider = provider;
    this.#suite = suite;
    this.handshakeSecret = handshakeSecret;
  }

  /** Both handshake traffic secrets, from the hash of ClientHello..ServerHello. */
  trafficSecrets(transcriptHash: Buffer): { client: Buffer; server: Buffer } {
    const derive = (label: string): Buffer =>
      deriveSecret(this.#provider, this.#suite, this.handshakeSecret, label, transcriptHash);
    return { client: derive('c hs traffic'), server: derive('s hs traffic') };
  }

  masterSecret(): MasterSecret {
    const salt = deriveSecret(
      this.#provider,
      this.#suite,
      this.handshakeSecret,
      'derived',
      emptyHash(this.#provider, this.#suite),
    );
    const secret = this.#provider.hkdfExtract(
      this.#suite.hash,
      salt,
      Buffer.alloc(this.#suite.hashLength),
    );
    return new MasterSecret(this.#provider, this.#suite, secret);
  }
}

export class MasterSecret {
  readonly #provider: CryptoProvider;
  readonly #suite: Suite;
  readonly masterSecret: Buffer;

  constructor(provider: CryptoProvider, suite: Suite, masterSecret: Buffer) {
    this.#provider = provider;
    this.#suite = suite;
    this.masterSecret = masterSecret;
  }

  #derive(label: string, transcriptHash: Buffer): Buffer {
    return deriveSecret(this.#provider, this.#suite, this.masterSecret, label, transcriptHash);
  }

  /** Application traffic and exporter secrets, from the hash up to the server Finished. */
  applicationSecrets(transcriptHash: Buffer): { client: Buffer; server: Buffer; exporter: Buffer } {
    return {
      client: this.#derive('c ap traffic', transcriptHash),
      server: this.#derive('s ap traffic', transcriptHash),
      exporter: this.#derive('exp master', transcriptHash),
    };
  }

  /** resumption_master_secret, from the hash up to the client Finished. */
  resumptionMasterSecret(transcriptHash: Buffer): Buffer {
    return this.#derive('res master', transcriptHash);
  }
}

/** The PSK that a ticket stands for (RFC 8446, Section 4.6.1). */
export function resumptionPsk(
  provider: CryptoProvider,
  suite: Suite,
  resumptionMasterSecret: Buffer,
  ticketNonce: Buffer,
): Buffer {
  return hkdfExpandLabel(
    provider,
    suite.hash,
    resumptionMasterSecret,
    'resumption',
    ticketNonce,
    suite.hashLength,
  );
}

/** TLS-Exporter (RFC 8446, Section 7.5). */
export function exportKeyingMaterial(
  provider: CryptoProvider,
  suite: Suite,
  exporterMasterSecret: Buffer,
  label: string,
  context: Buffer | undefined,
  length: number,
): Buffer {
  const secret = deriveSecret(
    provider,
    suite,
    exporterMasterSecret,
    label,
    emptyHash(provider, suite),
  );
  const contextHash = provider.hash(suite.hash, context ?? Buffer.alloc(0));
  return hkdfExpandLabel(provider, suite.hash, secret, 'exporter', contextHash, length);
}

/** The content signed in CertificateVerify (RFC 8446, Section 4.4.3). */
export function certificateVerifyContent(server: boolean, transcriptHash: Buffer): Buffer {
  const context = server
    ? 'TLS 1.3, server CertificateVerify'
    : 'TLS 1.3, client CertificateVerify';
  return Buffer.concat([
    Buffer.alloc(64, 0x20),
    Buffer.from(context, 'latin1'),
    Buffer.of(0),
    transcriptHash,
  ]);
}
