// Certification path building and validation (RFC 5280, Section 6, as the Web PKI profiles it).
//
// Building is a depth-first search from the leaf towards any trust anchor, over the
// certificates the peer sent in any order. A candidate issuer must carry the issuer's name and
// verify the signature; a complete path is then validated as a whole, and when it fails the
// search backtracks to the next candidate, so cross-signed roots, an expired anchor with a valid
// alternative or two keys under one name still find the path that works. The search has a
// budget, because hostile peers send chains built to make it quadratic.
//
// Where the Web PKI profile is stricter than node:tls, we follow the profile: with a purpose
// given, a leaf must carry extKeyUsage naming it; a CA certificate is not accepted as a leaf
// unless trusted directly; SHA-1 and MD5 signatures and RSA keys under 2048 bits are refused
// below the anchor; anchors that a caller passes are held to the root profile (critical
// basicConstraints, no extKeyUsage). The subject common name is never used for identity.

import type { AlertName } from '../protocol/registry';
import { alertForCertificateError, CertificateErrorCode as Code, TlsConfigError } from '../errors';
import { Certificate, loadCertificates } from './certificate';
import {
  checkNameConstraints,
  malformedConstraint,
  NAME_CONSTRAINT_BUDGET,
} from './name-constraints';
import { checkServerName } from './identity';
import { checkPolicies } from './policy';
import { defaultTrustStore } from './trust-store';
import { checkCertificate, checkIssuer, checkLeaf, type Failure, type Role } from './validate';

export interface VerifyOptions {
  leaf: string | Buffer | Certificate;
  intermediates?: CertificateInput | CertificateInput[];
  /** Trust anchors; the default trust store when absent. */
  trusted?: CertificateInput | CertificateInput[];
  /** The time to validate at; now when absent. */
  time?: Date;
  /** A DNS name or IP address that the leaf must be valid for. */
  name?: string;
  purpose?: 'server' | 'client';
  /** The most intermediates a path may hold (default 10). */
  maxDepth?: number;
}

export type VerifyResult =
  | { ok: true; chain: Certificate[] }
  | {
      ok: false;
      code: string;
      reason: string;
      certificate: Certificate | undefined;
      alert: AlertName;
    };

export const DEFAULT_MAX_DEPTH = 10;

// Candidate issuers examined per verification, across all branches of the search.
const SEARCH_BUDGET = 256;

/**
 * Builds and validates a path from `leaf` to a trusted certificate and, when `name` is given,
 * checks the leaf's identity. Synchronous; an invalid chain is a result, never an exception.
 */
export function verifyCertificateChain(options: VerifyOptions): VerifyResult {
  // Called from JavaScript with nothing usable, it still answers with a result that says so.
  const given: unknown = options;
  if (typeof given !== 'object' || given === null || (given as VerifyOptions).leaf == null) {
    const reason = 'verifyCertificateChain needs an options object with a leaf';
    return result(failure(Code.INVALID_CERTIFICATE, reason));
  }
  try {
    return verify(options);
  } catch (err) {
    if (err instanceof TlsConfigError && err.code === 'ERR_TLS13_INVALID_OPTION') throw err;
    // Parsing is strict and validation reads parsed fields, so this is a defect of ours; the
    // caller still gets a result to act on rather than an exception mid-handshake.
    return result(parseFailure(err, 'certificate chain'));
  }
}

function verify(options: VerifyOptions): VerifyResult {
  // Options a program got wrong are refused by name; only the chain itself yields a result.
  const purpose: unknown = options.purpose;
  if (purpose !== undefined && purpose !== 'server' && purpose !== 'client') {
    throw new TlsConfigError(
      'ERR_TLS13_INVALID_OPTION',
      `purpose must be 'server' or 'client', not ${JSON.stringify(purpose)}`,
    );
  }
  const maxDepth: unknown = options.maxDepth;
  if (maxDepth !== undefined && !(Number.isSafeInteger(maxDepth) && (maxDepth as number) >= 0)) {
    throw new TlsConfigError(
      'ERR_TLS13_INVALID_OPTION',
      `maxDepth must be a whole number of intermediates, 0 or more, not ${String(maxDepth)}`,
    );
  }
  const time = options.time ?? new Date();
  let leaf: Certificate;
  const extra: Certificate[] = [];
  try {
    const [first, ...rest] = toCertificates(options.leaf);
    if (!first) return result(failure(Code.INVALID_CERTIFICATE, 'no leaf certificate given'));
    leaf = first;
    extra.push(...rest);
  } catch (err) {
    return result(parseFailure(err, 'leaf certificate'));
  }
  const intermediates = [...extra, ...tolerantList(options.intermediates ?? [])];
  const anchors = options.trusted ? tolerantList(options.trusted) : defaultTrustStore();

  const builder = new PathBuilder(anchors, intermediates, {
    time,
    vettedAnchors: !options.trusted,
    purpose: options.purpose,
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
  });
  const built = builder.build(leaf);
  if (!Array.isArray(built)) return result(built);

  if (options.name !== undefined) {
    const identity = checkServerName(leaf, options.name);
    if (!identity.ok) {
      return result(failure(Code.ERR_TLS_CERT_ALTNAME_INVALID, identity.reason, leaf));
    }
  }
  return { ok: true, chain: built };
}

function result(f: Failure): VerifyResult {
  return {
    ok: false,
    code: f.code,
    reason: f.reason,
    certificate: f.certificate,
    alert: f.alert ?? alertForCertificateError(f.code),
  };
}

function failure(code: string, reason: string, certificate?: Certificate): Failure {
  return { code, reason, certificate };
}

function parseFailure(err: unknown, what: string): Failure {
  const message = (err as Error).message ?? String(err);
  const unsupported =
    (err as { code?: string }).code === 'ERR_TLS13_UNSUPPORTED_KEY' ||
    /UNSUPPORTED_KEY|not supported/.test(message);
  return {
    code: Code.INVALID_CERTIFICATE,
    reason: `${what} cannot be used: ${message}`,
    certificate: undefined,
    alert: unsupported ? 'unsupported_certificate' : 'bad_certificate',
  };
}

function toCertificates(input: string | Buffer | Certificate): Certificate[] {
  if (input instanceof Certificate) return [input];
  return loadCertificates(input);
}

// Extra or broken certificates from the peer, or anchors we cannot use, are passed over: the
// search may well find a path without them.
/** A certificate as PEM text (one or more blocks), DER, or already parsed. */
export type CertificateInput = string | Buffer | Certificate;

function tolerantList(inputs: CertificateInput | CertificateInput[]): Certificate[] {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  return list.flatMap((input) => {
    try {
      return toCertificates(input);
    } catch {
      return [];
    }
  });
}

export interface Policy {
  time: Date;
  /**
   * True for the bundled roots, which their store has vetted: some predate the Baseline
   * Requirements (a non-critical basicConstraints, an AKI naming issuer and serial), and
   * refusing them would fail sites that node:tls accepts. Anchors a caller gives are held
   * to the profile.
   */
  vettedAnchors: boolean;
  purpose?: 'server' | 'client';
  maxDepth: number;
}

interface Candidate {
  cert: Certificate;
  anchor: boolean;
}

class PathBuilder {
  readonly #anchors: Certificate[];
  readonly #intermediates: Certificate[];
  readonly #policy: Policy;
  #budget = SEARCH_BUDGET;
  // Failures in the order met; the first is reported when no path validates.
  readonly #failures: Failure[] = [];
  #deepest: Certificate[] = [];

  constructor(anchors: Certificate[], intermediates: Certificate[], policy: Policy) {
    this.#anchors = anchors;
    const anchorDer = new Set(anchors.map((a) => a.der.toString('latin1')));
    this.#intermediates = intermediates.filter((c) => !anchorDer.has(c.der.toString('latin1')));
    this.#policy = policy;
  }

  build(leaf: Certificate): Certificate[] | Failure {
    // A leaf that is itself trusted (a pinned self-signed certificate) is its own path.
    if (this.#anchors.some((a) => a.der.equals(leaf.der))) {
      const problem = validatePath([leaf], this.#policy, true);
      return problem ?? [leaf];
    }
    this.#deepest = [leaf];
    const path = this.#extend([leaf]);
    if (path) return path;
    // An untrusted self-signed top explains more than a same-named anchor whose key did not fit.
    const top = this.#deepest[this.#deepest.length - 1];
    const best = this.#bestFailure();
    if (best && (best.code !== Code.CERT_SIGNATURE_FAILURE || !top.isSelfSigned)) return best;
    return this.#noAnchor();
  }

  // A complete path that failed validation says most; a signature that did not verify, or a
  // path too deep, says more than "no issuer found".
  #bestFailure(): Failure | undefined {
    const rank = (f: Failure) =>
      f.code === Code.CERT_SIGNATURE_FAILURE ? 1 : f.code === Code.CERT_CHAIN_TOO_LONG ? 2 : 0;
    return [...this.#failures].sort((a, b) => rank(a) - rank(b))[0];
  }

  #extend(path: Certificate[]): Certificate[] | undefined {
    const current = path[path.length - 1];
    const candidates = this.#issuersOf(current, path);
    if (candidates.length === 0 && path.length > this.#deepest.length) this.#deepest = [...path];
    for (const { cert, anchor } of candidates) {
      if (this.#budget === 0) return undefined;
      if (--this.#budget === 0) {
        this.#failures.unshift(
          failure(
            Code.UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
            `gave up building a path after ${SEARCH_BUDGET} candidate issuers`,
            current,
          ),
        );
      }
      const found = this.#tryCandidate(path, current, cert, anchor);
      if (found) return found;
    }
    return undefined;
  }

  #tryCandidate(path: Certificate[], current: Certificate, cert: Certificate, anchor: boolean) {
    if (!current.isSignedBy(cert)) {
      this.#failures.push(
        failure(
          Code.CERT_SIGNATURE_FAILURE,
          `the signature on ${describe(current, path.length - 1)} does not verify with the key of ` +
            `${cert.subjectText}`,
          current,
        ),
      );
      return undefined;
    }
    const next = [...path, cert];
    if (anchor) {
      const problem = validatePath(next, this.#policy, false);
      if (!problem) return next;
      this.#failures.push(problem);
      return undefined;
    }
    if (path.length > this.#policy.maxDepth) {
      this.#failures.push(
        failure(
          Code.CERT_CHAIN_TOO_LONG,
          `the path needs more than the ${this.#policy.maxDepth} intermediates allowed`,
          cert,
        ),
      );
      return undefined;
    }
    return this.#extend(next);
  }

  // Anchors first, then the peer's certificates; within each, key identifiers that agree and
  // certificates valid now come first (RFC 4158, Section 3.5).
  #issuersOf(cert: Certificate, path: Certificate[]): Candidate[] {
    const seen = (c: Certificate) =>
      path.some((p) => p.subject.equals(c.subject) && p.spki.equals(c.spki));
    const pick = (list: Certificate[], anchor: boolean): Candidate[] =>
      list
        .filter((c) => c !== cert && cert.issuerMatches(c) && !seen(c))
        .sort((a, b) => this.#rank(cert, a) - this.#rank(cert, b))
        .map((c) => ({ cert: c, anchor }));
    return [...pick(this.#anchors, true), ...pick(this.#intermediates, false)];
  }

  #rank(child: Certificate, issuer: Certificate): number {
    const aki = child.authorityKeyIdentifier?.keyIdentifier;
    const ski = issuer.subjectKeyIdentifier;
    const keyMismatch = aki && ski && !aki.equals(ski) ? 2 : 0;
    const { time } = this.#policy;
    const expired = time < issuer.notBefore || time > issuer.notAfter ? 1 : 0;
    return keyMismatch + expired;
  }

  #noAnchor(): Failure {
    const top = this.#deepest[this.#deepest.length - 1];
    const count = this.#anchors.length;
    if (top.isSelfSigned) {
      if (this.#deepest.length === 1) {
        return failure(
          Code.DEPTH_ZERO_SELF_SIGNED_CERT,
          `leaf ${top.subjectText} is self-signed and is not among the ${count} trusted certificates`,
          top,
        );
      }
      return failure(
        Code.SELF_SIGNED_CERT_IN_CHAIN,
        `the chain ends in self-signed ${top.subjectText}, which is not among the ${count} ` +
          'trusted certificates',
        top,
      );
    }
    const alone = this.#deepest.length === 1 ? ' and no intermediate was sent for it' : '';
    return failure(
      Code.UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
      `issuer ${top.issuerText} of ${describe(top, this.#deepest.length - 1)} is not among the ` +
        `${count} trusted certificates${alone}`,
      top,
    );
  }
}

function describe(cert: Certificate, index: number): string {
  return `${index === 0 ? 'leaf' : 'intermediate'} ${cert.subjectText}`;
}

/**
 * Validates a complete path, leaf first and anchor last, from the anchor down as RFC 5280,
 * Section 6.1 walks it. `leafIsAnchor` marks a path of one trusted leaf.
 */
export function validatePath(
  path: Certificate[],
  policy: Policy,
  leafIsAnchor: boolean,
): Failure | undefined {
  const last = path.length - 1;
  for (let i = last; i >= 0; i--) {
    const role: Role = i === last && !leafIsAnchor ? 'anchor' : i === 0 ? 'leaf' : 'intermediate';
    const cert = path[i];
    const problem =
      checkCertificate(cert, role, policy.time, leafIsAnchor) ??
      (role === 'leaf'
        ? checkLeaf(cert, policy.purpose, leafIsAnchor)
        : checkIssuer(cert, role, policy.purpose, policy.vettedAnchors));
    if (problem) return problem;
  }
  return checkPathLength(path) ?? checkPathNames(path) ?? checkPolicies(path);
}

// RFC 5280, Section 6.1.4, steps (l) and (m): the non-self-issued intermediates below a CA
// may not outnumber its pathLenConstraint. The leaf does not count.
function checkPathLength(path: Certificate[]): Failure | undefined {
  for (let i = 1; i < path.length; i++) {
    const limit = path[i].pathLen;
    if (limit === undefined) continue;
    const below = path.slice(1, i).filter((c) => !c.isSelfIssued).length;
    if (below > limit) {
      return failure(
        Code.PATH_LENGTH_EXCEEDED,
        `${path[i].subjectText} allows ${limit} intermediate${limit === 1 ? '' : 's'} below it ` +
          `(pathLenConstraint) but the path has ${below}`,
        path[i],
      );
    }
  }
  return undefined;
}

// RFC 5280, Section 6.1.3, step (b) and 6.1.4, step (g): each CA's name constraints bind every
// certificate below it.
function checkPathNames(path: Certificate[]): Failure | undefined {
  const budget = { left: NAME_CONSTRAINT_BUDGET };
  for (let i = path.length - 1; i >= 1; i--) {
    const ca = path[i];
    if (!ca.nameConstraints) continue;
    const malformed = malformedConstraint(ca.nameConstraints);
    if (malformed) {
      return failure(
        Code.INVALID_EXTENSION,
        `${ca.subjectText} has malformed name constraints: ${malformed}`,
        ca,
      );
    }
    for (let j = i - 1; j >= 0; j--) {
      // Self-issued intermediates are exempt (RFC 5280, Section 6.1.3, step b).
      if (j > 0 && path[j].isSelfIssued) continue;
      const verdict = checkNameConstraints(ca, path[j], budget);
      if (!verdict.ok) return failure(verdict.code, verdict.reason, path[j]);
    }
  }
  return undefined;
}
