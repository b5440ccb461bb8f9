// Certificate policies along a path (RFC 5280, Section 6.1, steps d to f and 6.1.4 a, b, h-j).
//
// The RFC describes a tree of policies; we keep only what decides the outcome when the
// initial policy set is anyPolicy, as it is for TLS: the set of policies still valid in the
// current certificate's domain (mappings applied), and the three counters. When the
// explicit_policy counter reaches zero the set must not be empty. Qualifiers are not kept.

import type { Certificate } from './certificate';
import type { Failure } from './validate';

const ANY_POLICY = '2.5.29.32.0';

interface PolicyState {
  /** Valid policies, or null once the tree is empty; ANY_POLICY stands for every policy. */
  valid: Set<string> | null;
  explicitPolicy: number;
  inhibitAnyPolicy: number;
  policyMapping: number;
}

/** Checks the policies of `path` (leaf first, anchor last; the anchor is not processed). */
export function checkPolicies(path: Certificate[]): Failure | undefined {
  const certs = path.slice(0, -1).reverse();
  const n = certs.length;
  const state: PolicyState = {
    valid: new Set([ANY_POLICY]),
    explicitPolicy: n + 1,
    inhibitAnyPolicy: n + 1,
    policyMapping: n + 1,
  };
  for (let i = 0; i < n; i++) {
    const cert = certs[i];
    const last = i === n - 1;
    applyPolicies(state, cert, last);
    if (state.explicitPolicy === 0 && state.valid === null) return noPolicy(cert);
    if (last) wrapUp(state, cert);
    else prepareNext(state, cert);
  }
  if (state.explicitPolicy === 0 && state.valid === null) return noPolicy(certs[n - 1]);
  return undefined;
}

// Steps (d) and (e): keep the policies this certificate also asserts.
function applyPolicies(state: PolicyState, cert: Certificate, last: boolean): void {
  const asserted = cert.certificatePolicies;
  if (!asserted || state.valid === null) {
    state.valid = null;
    return;
  }
  const anyAllowed = state.inhibitAnyPolicy > 0 || (!last && cert.isSelfIssued);
  const assertsAny = anyAllowed && asserted.includes(ANY_POLICY);
  const specific = asserted.filter((p) => p !== ANY_POLICY);
  let next: Set<string>;
  if (state.valid.has(ANY_POLICY)) {
    next = new Set(specific);
    if (assertsAny) next.add(ANY_POLICY);
  } else if (assertsAny) {
    next = new Set(state.valid);
  } else {
    next = new Set(specific.filter((p) => state.valid?.has(p)));
  }
  state.valid = next.size > 0 ? next : null;
}

// Section 6.1.4, steps (b), (h), (i) and (j): mappings, then the counters.
function prepareNext(state: PolicyState, cert: Certificate): void {
  for (const [issuerPolicy, subjectPolicy] of cert.policyMappings ?? []) {
    if (!state.valid || !state.valid.has(issuerPolicy)) continue;
    state.valid.delete(issuerPolicy);
    if (state.policyMapping > 0) state.valid.add(subjectPolicy);
  }
  if (state.valid && state.valid.size === 0) state.valid = null;
  if (!cert.isSelfIssued) {
    if (state.explicitPolicy > 0) state.explicitPolicy--;
    if (state.policyMapping > 0) state.policyMapping--;
    if (state.inhibitAnyPolicy > 0) state.inhibitAnyPolicy--;
  }
  const pc = cert.policyConstraints;
  if (pc?.requireExplicitPolicy !== undefined) {
    state.explicitPolicy = Math.min(state.explicitPolicy, pc.requireExplicitPolicy);
  }
  if (pc?.inhibitPolicyMapping !== undefined) {
    state.policyMapping = Math.min(state.policyMapping, pc.inhibitPolicyMapping);
  }
  if (cert.inhibitAnyPolicy !== undefined) {
    state.inhibitAnyPolicy = Math.min(state.inhibitAnyPolicy, cert.inhibitAnyPolicy);
  }
}

// Section 6.1.5, steps (a) and (b).
function wrapUp(state: PolicyState, cert: Certificate): void {
  if (state.explicitPolicy > 0) state.explicitPolicy--;
  if (cert.policyConstraints?.requireExplicitPolicy === 0) state.explicitPolicy = 0;
}

function noPolicy(cert: Certificate): Failure {
  return {
    code: 'NO_EXPLICIT_POLICY',
    reason:
      'the path requires an explicit certificate policy and none is valid for ' + cert.subjectText,
    certificate: cert,
    alert: 'bad_certificate',
  };
}
