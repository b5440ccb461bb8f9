// Signature schemes (RFC 8446, Section 4.2.3): which key each needs and how node:crypto
// signs with it. rsa_pkcs1_* appear only for signatures inside certificates.

import { SignatureScheme, type SignatureSchemeName } from '../protocol/registry';
import type { KeyKind } from '../pki/certificate';

export interface Scheme {
  name: SignatureSchemeName;
  code: number;
  keyKind: KeyKind;
  /** For ECDSA, the curve the key must be on (TLS 1.3 binds curve and hash). */
  namedCurve?: 'P-256' | 'P-384' | 'P-521';
  /** The digest for node:crypto's sign(), or null for EdDSA. */
  hash: 'sha256' | 'sha384' | 'sha512' | 'sha1' | null;
  pss: boolean;
  /** False for the schemes TLS 1.3 forbids in CertificateVerify. */
  handshake: boolean;
}

function scheme(
  name: SignatureSchemeName,
  keyKind: KeyKind,
  hash: Scheme['hash'],
  extra: Partial<Scheme> = {},
): Scheme {
  return {
    name,
    code: SignatureScheme[name],
    keyKind,
    hash,
    pss: false,
    handshake: true,
    ...extra,
  };
}

export const SCHEMES: readonly Scheme[] = [
  scheme('ecdsa_secp256r1_sha256', 'ec', 'sha256', { namedCurve: 'P-256' }),
  scheme('ecdsa_secp384r1_sha384', 'ec', 'sha384', { namedCurve: 'P-384' }),
  scheme('ecdsa_secp521r1_sha512', 'ec', 'sha512', { namedCurve: 'P-521' }),
  scheme('ed25519', 'ed25519', null),
  scheme('ed448', 'ed448', null),
  scheme('rsa_pss_rsae_sha256', 'rsa', 'sha256', { pss: true }),
  scheme('rsa_pss_rsae_sha384', 'rsa', 'sha384', { pss: true }),
  scheme('rsa_pss_rsae_sha512', 'rsa', 'sha512', { pss: true }),
  scheme('rsa_pss_pss_sha256', 'rsa-pss', 'sha256', { pss: true }),
  scheme('rsa_pss_pss_sha384', 'rsa-pss', 'sha384', { pss: true }),
  scheme('rsa_pss_pss_sha512', 'rsa-pss', 'sha512', { pss: true }),
  scheme('rsa_pkcs1_sha256', 'rsa', 'sha256', { handshake: false }),
  scheme('rsa_pkcs1_sha384', 'rsa', 'sha384', { handshake: false }),
  scheme('rsa_pkcs1_sha512', 'rsa', 'sha512', { handshake: false }),
];

/** The schemes we offer in signature_algorithms, in order of preference. */
export const HANDSHAKE_SCHEMES = SCHEMES.filter((s) => s.handshake);

/** signature_algorithms_cert also admits the PKCS#1 signatures found inside certificates. */
export const CERTIFICATE_SCHEMES = SCHEMES;

export function schemeByCode(code: number): Scheme | undefined {
  return SCHEMES.find((s) => s.code === code);
}

export function schemeByName(name: string): Scheme | undefined {
  return SCHEMES.find((s) => s.name === name);
}

/** Whether a key of this kind (and curve) can produce signatures of this scheme. */
export function schemeFitsKey(s: Scheme, kind: KeyKind, namedCurve?: string): boolean {
  if (s.keyKind !== kind) return false;
  return s.namedCurve === undefined || s.namedCurve === namedCurve;
}

/**
 * Parses a `sigalgs` string as node:tls takes it ("ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256",
 * also OpenSSL's "ECDSA+SHA256" and "RSA-PSS+SHA256" forms).
 */
export function parseSigalgs(list: string): Scheme[] | string {
  const out: Scheme[] = [];
  for (const raw of list
    .split(':')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const found = schemeByName(raw) ?? schemeByName(OPENSSL_SIGALG_NAMES[raw.toUpperCase()] ?? '');
    if (!found || !found.handshake) return raw;
    out.push(found);
  }
  return out;
}

const OPENSSL_SIGALG_NAMES: Readonly<Record<string, SignatureSchemeName>> = {
  'ECDSA+SHA256': 'ecdsa_secp256r1_sha256',
  'ECDSA+SHA384': 'ecdsa_secp384r1_sha384',
  'ECDSA+SHA512': 'ecdsa_secp521r1_sha512',
  'RSA-PSS+SHA256': 'rsa_pss_rsae_sha256',
  'RSA-PSS+SHA384': 'rsa_pss_rsae_sha384',
  'RSA-PSS+SHA512': 'rsa_pss_rsae_sha512',
  ED25519: 'ed25519',
  ED448: 'ed448',
};
