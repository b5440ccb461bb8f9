// The three TLS 1.3 cipher suites (RFC 8446, Appendix B.4): an AEAD and a hash each.

import { CipherSuite, type CipherSuiteName } from '../protocol/registry';

export type HashName = 'sha256' | 'sha384';
export type AeadName = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

export interface Suite {
  name: CipherSuiteName;
  code: number;
  aead: AeadName;
  keyLength: number;
  hash: HashName;
  hashLength: number;
  /** OpenSSL's name, which getCipher() reports as node:tls does. */
  standardName: string;
  opensslName: string;
}

export const IV_LENGTH = 12;
export const TAG_LENGTH = 16;

export const SUITES: readonly Suite[] = [
  {
    name: 'TLS_AES_128_GCM_SHA256',
    code: CipherSuite.TLS_AES_128_GCM_SHA256,
    aead: 'aes-128-gcm',
    keyLength: 16,
    hash: 'sha256',
    hashLength: 32,
    standardName: 'TLS_AES_128_GCM_SHA256',
    opensslName: 'TLS_AES_128_GCM_SHA256',
  },
  {
    name: 'TLS_AES_256_GCM_SHA384',
    code: CipherSuite.TLS_AES_256_GCM_SHA384,
    aead: 'aes-256-gcm',
    keyLength: 32,
    hash: 'sha384',
    hashLength: 48,
    standardName: 'TLS_AES_256_GCM_SHA384',
    opensslName: 'TLS_AES_256_GCM_SHA384',
  },
  {
    name: 'TLS_CHACHA20_POLY1305_SHA256',
    code: CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    aead: 'chacha20-poly1305',
    keyLength: 32,
    hash: 'sha256',
    hashLength: 32,
    standardName: 'TLS_CHACHA20_POLY1305_SHA256',
    opensslName: 'TLS_CHACHA20_POLY1305_SHA256',
  },
];

export function suiteByCode(code: number): Suite | undefined {
  return SUITES.find((s) => s.code === code);
}

export function suiteByName(name: string): Suite | undefined {
  return SUITES.find((s) => s.name === name);
}
