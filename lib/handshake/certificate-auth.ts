// The certificate steps both roles share: choosing our identity and signature scheme,
// signing and checking CertificateVerify (RFC 8446, Section 4.4.3), and verifying a peer chain.

import type { CryptoProvider } from '../crypto/provider';
import { certificateVerifyContent } from '../crypto/key-schedule';
import { schemeByCode, schemeFitsKey, type Scheme } from '../crypto/schemes';
import { CertificateVerificationError, TlsProtocolError } from '../errors';
import { parseCertificate, type Certificate } from '../pki/certificate';
import type { Certificate as CertificateMessage } from '../messages/authentication';
import { checkExtensions } from './extension-rules';
import { verifyCertificateChain } from '../pki/chain';
import type { PrivateKeyInfo } from '../pki/keys';
import { nameOf, SignatureScheme } from '../protocol/registry';
import type { Tracer } from '../trace/trace';

/** Signs CertificateVerify content; may answer later, so a key can live outside the process. */
export type Signer = (scheme: Scheme, content: Buffer) => Buffer | Promise<Buffer>;

export interface LocalIdentity {
  chain: Certificate[];
  key: PrivateKeyInfo;
  signer?: Signer;
}

/** The first of our schemes that the peer accepts and our key can make. */
export function chooseScheme(
  key: PrivateKeyInfo,
  ours: readonly Scheme[],
  peerCodes: readonly number[],
): Scheme | undefined {
  for (const scheme of ours) {
    if (!peerCodes.includes(scheme.code)) continue;
    if (schemeFitsKey(scheme, key.kind, key.namedCurve)) return scheme;
  }
  return undefined;
}

export function describeKey(key: { kind: string; namedCurve?: string; bits?: number }): string {
  if (key.kind === 'ec') return `ECDSA ${key.namedCurve ?? ''}`.trim();
  if (key.kind === 'rsa') return `RSA-${key.bits ?? '?'}`;
  if (key.kind === 'rsa-pss') return `RSASSA-PSS-${key.bits ?? '?'}`;
  return key.kind === 'ed25519' ? 'Ed25519' : 'Ed448';
}

export function schemeNames(codes: readonly number[]): string[] {
  return codes.map((c) => nameOf(SignatureScheme, c));
}

/** Produces the CertificateVerify signature with the identity's signer or its key. */
export function signCertificateVerify(
  provider: CryptoProvider,
  identity: LocalIdentity,
  scheme: Scheme,
  server: boolean,
  transcriptHash: Buffer,
): Buffer | Promise<Buffer> {
  const content = certificateVerifyContent(server, transcriptHash);
  if (identity.signer) return identity.signer(scheme, content);
  return provider.sign(scheme, identity.key.keyObject, content);
}

/**
 * Checks the peer's CertificateVerify: a scheme we offered, allowed in TLS 1.3, fitting the
 * leaf's key, and a signature over the transcript that verifies.
 */
export function verifyCertificateVerify(
  provider: CryptoProvider,
  tracer: Tracer,
  options: {
    algorithm: number;
    signature: Buffer;
    leaf: Certificate;
    offered: readonly Scheme[];
    peerIsServer: boolean;
    transcriptHash: Buffer;
  },
): Scheme {
  const { algorithm, leaf } = options;
  const scheme = schemeByCode(algorithm);
  const name = nameOf(SignatureScheme, algorithm);
  if (scheme && !scheme.handshake) {
    throw new TlsProtocolError(
      'illegal_parameter',
      `peer's CertificateVerify uses ${name}, which TLS 1.3 forbids`,
    );
  }
  if (!scheme || !options.offered.some((s) => s.code === algorithm)) {
    throw new TlsProtocolError(
      'illegal_parameter',
      `peer's CertificateVerify uses ${name}, which was not offered`,
    );
  }
  if (!schemeFitsKey(scheme, leaf.keyKind, leaf.namedCurve)) {
    throw new TlsProtocolError(
      'illegal_parameter',
      `peer's CertificateVerify uses ${name}, which does not fit its ${describeKey(leafKey(leaf))} key`,
    );
  }

  const content = certificateVerifyContent(options.peerIsServer, options.transcriptHash);
  const ok = provider.verify(scheme, leaf.publicKey, content, options.signature);
  tracer.check(
    'CertificateVerify',
    ok,
    ok
      ? `${name} signature by ${leaf.subjectText} verifies over the transcript`
      : `${name} signature by ${leaf.subjectText} does not verify`,
  );
  if (!ok)
    throw new TlsProtocolError(
      'decrypt_error',
      "peer's CertificateVerify signature does not verify",
    );
  return scheme;
}

function leafKey(leaf: Certificate): { kind: string; namedCurve?: string; bits?: number } {
  return { kind: leaf.keyKind, namedCurve: leaf.namedCurve, bits: leaf.keyBits };
}

export interface PeerVerification {
  authorized: boolean;
  authorizationError: string | undefined;
  verifiedChain: Certificate[] | undefined;
}

/**
 * Verifies a peer chain with the one validation call. With `reject`, a failure ends the
 * handshake with the alert the validation names; without, it is recorded and the handshake goes on.
 */
export function verifyPeerChain(
  tracer: Tracer,
  options: {
    chain: Certificate[];
    trusted: Certificate[] | undefined;
    name: string | undefined;
    purpose: 'server' | 'client';
    reject: boolean;
    time?: Date;
    checkIdentity?: (leaf: Certificate) => Error | undefined;
  },
): PeerVerification {
  const [leaf, ...intermediates] = options.chain;
  const result = verifyCertificateChain({
    leaf,
    intermediates,
    trusted: options.trusted,
    time: options.time,
    name: options.checkIdentity ? undefined : options.name,
    purpose: options.purpose,
  });
  if (!result.ok) {
    tracer.check('certificate chain', false, `${result.code}: ${result.reason}`);
    if (options.reject)
      throw new CertificateVerificationError(result.code, result.reason, result.alert);
    return { authorized: false, authorizationError: result.code, verifiedChain: undefined };
  }
  tracer.check(
    'certificate chain',
    true,
    `built ${result.chain.map((c) => c.subjectText).join(' <- ')}`,
  );

  const identityError = options.checkIdentity?.(leaf);
  if (identityError) {
    const code = (identityError as { code?: string }).code ?? 'ERR_TLS_CERT_ALTNAME_INVALID';
    tracer.check('server identity', false, identityError.message);
    if (options.reject)
      throw new CertificateVerificationError(code, identityError.message, 'bad_certificate');
    return { authorized: false, authorizationError: code, verifiedChain: result.chain };
  }
  return { authorized: true, authorizationError: undefined, verifiedChain: result.chain };
}

/**
 * Decodes the certificates of a peer's Certificate message: at most `limit` of them, no
 * per-certificate extensions (we ask for none), each one parseable (else bad_certificate).
 */
export function parsePeerCertificates(
  certificate: CertificateMessage,
  limit: number,
): Certificate[] {
  const list = certificate.certificateList;
  if (list.length > limit) {
    throw new TlsProtocolError(
      'bad_certificate',
      `peer sent ${list.length} certificates, over the limit of ${limit}`,
    );
  }
  for (const entry of list) checkExtensions(entry.extensions, 'CT', new Set());
  return list.map((entry, i) => {
    try {
      return parseCertificate(entry.certData);
    } catch (error) {
      throw new TlsProtocolError(
        'bad_certificate',
        `peer certificate ${i} cannot be parsed: ${(error as Error).message}`,
      );
    }
  });
}

export interface CertificateRequested {
  context: Buffer;
  schemes: number[];
  authorities: Buffer[];
}

/**
 * Whether the client's identity answers a CertificateRequest (RFC 8446, Section 4.4.2.3): its
 * key must sign with a scheme the server accepts and, where the server names CAs, some
 * certificate of the chain must be one of them or be issued by one. The trace says why not.
 */
export function chooseClientIdentity(
  identity: LocalIdentity | undefined,
  ours: readonly Scheme[],
  requested: CertificateRequested,
  tracer: Tracer,
): ClientIdentityChoice {
  const topic = 'client certificate';
  const none = (reason: string): ClientIdentityChoice => {
    tracer.decision(topic, 'none', reason);
    return { identity: undefined, reason };
  };
  if (!identity) return none('no cert and key were configured');
  const keyName = describeKey(identity.key);
  const scheme = chooseScheme(identity.key, ours, requested.schemes);
  if (!scheme)
    return none(`our ${keyName} key can sign with none of the server's signature_algorithms`);
  const names = requested.authorities;
  if (names.length > 0 && !chainMatchesAuthorities(identity.chain, names)) {
    return none(
      `no certificate of our chain is or is issued by one of the ${names.length} CAs the server named`,
    );
  }
  const reason = `our ${keyName} key can sign with ${scheme.name}, which the server accepts`;
  tracer.decision(topic, identity.chain[0].subjectText, reason);
  return { identity, scheme, reason };
}

export type ClientIdentityChoice =
  | { identity: LocalIdentity; scheme: Scheme; reason: string }
  | { identity: undefined; reason: string };

function chainMatchesAuthorities(chain: readonly Certificate[], names: readonly Buffer[]): boolean {
  return chain.some((c) => names.some((name) => name.equals(c.subject) || name.equals(c.issuer)));
}
