// Turns node:tls-style options into the handshake's configuration, failing early and clearly
// on anything we cannot honour.

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { GROUPS, groupByName, type Group } from './crypto/groups';
import { HANDSHAKE_SCHEMES, parseSigalgs, type Scheme } from './crypto/schemes';
import { SUITES, suiteByName, type Suite } from './crypto/suites';
import { TlsConfigError, TlsError } from './errors';
import { loadCertificates, type Certificate } from './pki/certificate';
import { loadIdentity } from './pki/keys';
import { loadPfx } from './pki/pkcs12';
import type { LocalIdentity, Signer } from './handshake/certificate-auth';
import { KeylogFile } from './trace/keylog';

export type Pem = string | Buffer;

/** The protocol options a client and a server share. */
export interface CommonOptions {
  ca?: Pem | Pem[];
  cert?: Pem | Pem[];
  key?: Pem | Pem[];
  passphrase?: string;
  /** A PKCS#12 file holding the key and its chain, opened with `passphrase`. */
  pfx?: Buffer;
  /** Signs CertificateVerify instead of `key`, e.g. with a key held in a token. */
  signer?: Signer;
  ALPNProtocols?: string[] | Buffer[] | Uint8Array;
  minVersion?: string;
  maxVersion?: string;
  ciphers?: string;
  sigalgs?: string;
  ecdhCurve?: string;
  rejectUnauthorized?: boolean;
}

export const DEFAULT_KEY_SHARE_GROUP = 'x25519';

export function resolveSuites(ciphers: string | undefined): Suite[] {
  if (!ciphers) return [...SUITES];
  const names = ciphers
    .split(':')
    .map((s) => s.trim())
    .filter(Boolean);
  const suites = names.map((n) => suiteByName(n)).filter((s): s is Suite => s !== undefined);
  if (suites.length === 0) {
    throw new TlsConfigError(
      'ERR_TLS13_NO_CIPHERS',
      `no TLS 1.3 cipher suite in ciphers "${ciphers}"`,
    );
  }
  return suites;
}

/** `ecdhCurve` in node:tls form ("X25519:P-256", or "auto"); the first is the key share's. */
export function resolveGroups(ecdhCurve: string | undefined): Group[] {
  if (!ecdhCurve || ecdhCurve === 'auto') return [...GROUPS];
  const groups: Group[] = [];
  for (const name of ecdhCurve
    .split(':')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const group = groupByName(name);
    if (!group)
      throw new TlsConfigError(
        'ERR_TLS13_UNKNOWN_GROUP',
        `unsupported group "${name}" in ecdhCurve`,
      );
    if (!groups.includes(group)) groups.push(group);
  }
  if (groups.length === 0)
    throw new TlsConfigError('ERR_TLS13_UNKNOWN_GROUP', 'ecdhCurve names no group');
  return groups;
}

/** The groups a first ClientHello carries shares for: x25519 if listed, else the first. */
export function initialKeyShareGroups(
  groups: readonly Group[],
  ecdhCurve: string | undefined,
): Group[] {
  if (ecdhCurve && ecdhCurve !== 'auto') return [groups[0]];
  const preferred = groups.find((g) => g.name === DEFAULT_KEY_SHARE_GROUP);
  return [preferred ?? groups[0]];
}

export function resolveSchemes(sigalgs: string | undefined): Scheme[] {
  if (!sigalgs) return [...HANDSHAKE_SCHEMES];
  const parsed = parseSigalgs(sigalgs);
  if (typeof parsed === 'string') {
    throw new TlsConfigError(
      'ERR_TLS13_UNKNOWN_SIGALG',
      `unsupported signature scheme "${parsed}" in sigalgs`,
    );
  }
  if (parsed.length === 0)
    throw new TlsConfigError('ERR_TLS13_UNKNOWN_SIGALG', 'sigalgs names no scheme');
  return parsed;
}

export function checkVersions(
  minVersion: string | undefined,
  maxVersion: string | undefined,
): void {
  const known = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
  for (const v of [minVersion, maxVersion]) {
    if (v !== undefined && !known.includes(v)) {
      throw new TlsConfigError('ERR_TLS_INVALID_PROTOCOL_VERSION', `"${v}" is not a TLS version`);
    }
  }
  if (maxVersion !== undefined && maxVersion !== 'TLSv1.3') {
    throw new TlsConfigError(
      'ERR_TLS13_UNSUPPORTED_VERSION',
      `maxVersion ${maxVersion} is below TLS 1.3, the only version this stack speaks`,
    );
  }
}

/** ALPN names from a list, or from the wire format node:tls also accepts. */
export function resolveAlpn(alpn: CommonOptions['ALPNProtocols']): string[] {
  if (!alpn) return [];
  if (Array.isArray(alpn))
    return alpn.map((p) => (Buffer.isBuffer(p) ? p.toString('latin1') : String(p)));
  const wire = Buffer.from(alpn as Uint8Array);
  const names: string[] = [];
  for (let at = 0; at < wire.length;) {
    const length = wire[at];
    names.push(wire.subarray(at + 1, at + 1 + length).toString('latin1'));
    at += 1 + length;
  }
  return names;
}

export function resolveTrusted(ca: CommonOptions['ca']): Certificate[] | undefined {
  if (ca === undefined) return undefined;
  return naming('ca', () => loadCertificates(Array.isArray(ca) ? ca : [ca]));
}

/** The `keylog` file, opened now so that a path that cannot be written fails at once. */
export function resolveKeylog(keylog: unknown): KeylogFile | undefined {
  // An empty name means none, as an empty SSLKEYLOGFILE does for curl.
  if (keylog === undefined || keylog === '') return undefined;
  if (typeof keylog !== 'string') {
    const given = typeof keylog === 'object' ? 'an object' : String(keylog);
    throw new TlsConfigError(
      'ERR_TLS13_INVALID_KEYLOG',
      `keylog must be a file name, not ${given}`,
    );
  }
  return new KeylogFile(keylog);
}

/** Runs a loader and names the option at fault in any error it throws. */
function naming<T>(option: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof TlsError && !error.message.startsWith(`${option}: `)) {
      error.message = `${option}: ${error.message}`;
    }
    throw error;
  }
}

/**
 * Loaded identities by their inputs. Loading a key and checking it against its certificate
 * costs most of a client handshake's CPU, and clients pass the same files on every connect().
 * The key is the inputs' text itself (a few kilobytes), so no digest is needed.
 */
const IDENTITY_CACHE_LIMIT = 64;
const identityCache = new Map<string, LocalIdentity[]>();

function identityKey(options: CommonOptions): string {
  const parts: string[] = [];
  const feed = (value: Pem | Pem[] | string | undefined, tag: string): void => {
    parts.push(tag);
    for (const item of value === undefined ? [] : Array.isArray(value) ? value : [value]) {
      parts.push(typeof item === 'string' ? `s${item}` : `b${item.toString('latin1')}`);
    }
  };
  feed(options.cert, 'cert');
  feed(options.key, 'key');
  feed(options.passphrase, 'passphrase');
  return parts.join('\0');
}

/** Loads each cert and key pair; `cert` and `key` may be arrays of the same length. */
export function resolveIdentities(options: CommonOptions): LocalIdentity[] {
  if (options.pfx !== undefined) {
    if (options.cert !== undefined || options.key !== undefined) {
      throw new TlsConfigError(
        'ERR_TLS13_INCOMPLETE_IDENTITY',
        'give pfx or cert and key, not both',
      );
    }
    const pfx = options.pfx;
    const identity = naming('pfx', () => loadPfx(pfx, options.passphrase));
    return [{ ...identity, signer: options.signer }];
  }
  if (options.cert === undefined && options.key === undefined) return [];
  const key = identityKey(options);
  let identities = identityCache.get(key);
  if (!identities) {
    identities = naming('cert and key', () => loadIdentities(options));
    if (identityCache.size >= IDENTITY_CACHE_LIMIT) {
      identityCache.delete(identityCache.keys().next().value as string);
    }
    identityCache.set(key, identities);
  }
  const signer = options.signer;
  return signer ? identities.map((identity) => ({ ...identity, signer })) : identities;
}

function loadIdentities(options: CommonOptions): LocalIdentity[] {
  if (options.cert === undefined && options.key === undefined) return [];
  if (options.cert === undefined || (options.key === undefined && !options.signer)) {
    throw new TlsConfigError(
      'ERR_TLS13_INCOMPLETE_IDENTITY',
      'cert and key must be given together',
    );
  }
  const certs = Array.isArray(options.cert) ? options.cert : [options.cert];
  if (options.key === undefined) return [signerOnlyIdentity(certs)];
  const keys = Array.isArray(options.key) ? options.key : [options.key];
  if (!Array.isArray(options.cert) || !Array.isArray(options.key)) {
    // One identity: all certificates of `cert` form its chain.
    return [loadIdentity({ cert: certs, key: keys[0] as Pem, passphrase: options.passphrase })];
  }
  if (certs.length !== keys.length) {
    throw new TlsConfigError(
      'ERR_TLS13_INCOMPLETE_IDENTITY',
      'cert and key arrays differ in length',
    );
  }
  return certs.map((cert, i) => ({
    ...loadIdentity({ cert, key: keys[i] as Pem, passphrase: options.passphrase }),
  }));
}

/**
 * An identity whose private key lives outside the process: the signer signs, and what the
 * handshake needs to know of the key (its kind, curve and size) comes from the leaf.
 */
function signerOnlyIdentity(certs: Pem[]): LocalIdentity {
  const chain = loadCertificates(certs);
  if (chain.length === 0) {
    throw new TlsConfigError('ERR_TLS13_INCOMPLETE_IDENTITY', 'cert holds no certificate');
  }
  const leaf = chain[0];
  const key = {
    keyObject: leaf.publicKey,
    kind: leaf.keyKind,
    namedCurve: leaf.namedCurve,
    bits: leaf.keyBits,
    format: 'external signer',
  };
  return { chain, key };
}

/** Reads a file given by name where node:tls would take file contents (examples, the CLI). */
export function readPemFile(path: string): Buffer {
  return readFileSync(path);
}

export function isIpAddress(host: string): boolean {
  return isIP(host) !== 0;
}
