// The server's choices from a ClientHello: cipher suite, group, certificate and signature
// scheme, ALPN. Each choice, and each option passed over, goes to the trace with its reason.

import type { Group } from '../crypto/groups';
import type { Scheme } from '../crypto/schemes';
import type { Suite } from '../crypto/suites';
import { TlsProtocolError } from '../errors';
import * as ext from '../messages/extensions';
import { ExtensionType as E, NamedGroup, SignatureScheme, nameOf } from '../protocol/registry';
import type { Tracer } from '../trace/trace';
import { chooseScheme, describeKey, schemeNames, type LocalIdentity } from './certificate-auth';

type Extensions = ReadonlyMap<number, ext.Extension>;

/** Our most preferred suite among those the client offers. */
export function chooseSuite(
  ours: readonly Suite[],
  offered: readonly number[],
  tracer: Tracer,
): Suite {
  const suite = ours.find((s) => offered.includes(s.code));
  if (!suite) {
    throw new TlsProtocolError(
      'handshake_failure',
      `peer offers none of our cipher suites (${ours.map((s) => s.name).join(', ')})`,
    );
  }
  tracer.decision('cipher suite', suite.name, 'our most preferred suite that the client offers');
  return suite;
}

/**
 * A group with a usable key share, or, without `share`, the group to ask for in a
 * HelloRetryRequest. After a retry, the client must send exactly one share, for `retryGroup`.
 */
export function chooseGroup(
  ours: readonly Group[],
  extensions: Extensions,
  retryGroup: Group | undefined,
  tracer: Tracer,
): { group: Group; share?: Buffer } {
  const groupsExt = extensions.get(E.supported_groups);
  const sharesExt = extensions.get(E.key_share);
  if (!groupsExt || !sharesExt) {
    throw new TlsProtocolError(
      'missing_extension',
      'peer ClientHello lacks supported_groups or key_share',
    );
  }
  const offered = ext.namedGroupList.decode(groupsExt.data);
  const shares = ext.keyShareClientHello.decode(sharesExt.data);
  checkShares(offered, shares);

  if (retryGroup) {
    const share = shares.find((s) => s.group === retryGroup.code);
    if (!share || shares.length !== 1) {
      throw new TlsProtocolError(
        'illegal_parameter',
        `peer did not send exactly one key share for ${retryGroup.name} after HelloRetryRequest`,
      );
    }
    return { group: retryGroup, share: share.keyExchange };
  }

  // A share the client already sent saves a round trip; take the first we support.
  for (const share of shares) {
    const group = ours.find((g) => g.code === share.group);
    if (group) {
      tracer.decision('group', group.name, 'the client sent a key share for it and we support it');
      return { group, share: share.keyExchange };
    }
  }
  const group = ours.find((g) => offered.includes(g.code));
  if (!group) {
    throw new TlsProtocolError(
      'handshake_failure',
      `peer supports none of our groups (${ours.map((g) => g.name).join(', ')})`,
    );
  }
  tracer.decision(
    'group',
    group.name,
    'no key share the client sent is for a group we support; asking for it by HelloRetryRequest',
  );
  return { group };
}

// RFC 8446, Section 4.2.8: shares only for offered groups, at most one per group.
function checkShares(offered: readonly number[], shares: readonly ext.KeyShareEntry[]): void {
  const groups = new Set(offered);
  const seen = new Set<number>();
  for (const share of shares) {
    const name = nameOf(NamedGroup, share.group);
    if (!groups.has(share.group)) {
      throw new TlsProtocolError(
        'illegal_parameter',
        `peer sent a key share for ${name}, which is not in its supported_groups`,
      );
    }
    if (seen.has(share.group)) {
      throw new TlsProtocolError('illegal_parameter', `peer sent two key shares for ${name}`);
    }
    seen.add(share.group);
  }
}

/**
 * The first identity whose key can sign with a scheme the client accepts, preferring one whose
 * chain is signed only with schemes of signature_algorithms_cert (RFC 8446, Section 4.2.3).
 */
export function chooseIdentity(
  identities: readonly LocalIdentity[],
  ours: readonly Scheme[],
  extensions: Extensions,
  tracer: Tracer,
): { identity: LocalIdentity; scheme: Scheme } {
  const sigExt = extensions.get(E.signature_algorithms);
  if (!sigExt) {
    throw new TlsProtocolError('missing_extension', 'peer ClientHello has no signature_algorithms');
  }
  const accepted = ext.signatureSchemeList.decode(sigExt.data);
  const certExt = extensions.get(E.signature_algorithms_cert);
  const acceptedInCerts = certExt ? ext.signatureSchemeList.decode(certExt.data) : accepted;

  let fallback: { identity: LocalIdentity; scheme: Scheme } | undefined;
  for (const identity of identities) {
    const label = identityLabel(identity);
    const scheme = chooseScheme(identity.key, ours, accepted);
    if (!scheme) {
      tracer.decision(
        'certificate',
        `not ${label}`,
        'the client accepts no signature scheme its key can make',
      );
      continue;
    }
    if (chainSignaturesAccepted(identity, acceptedInCerts)) {
      traceIdentity(tracer, identity, scheme, 'its key signs with a scheme the client accepts');
      return { identity, scheme };
    }
    fallback ??= { identity, scheme };
  }
  if (fallback) {
    traceIdentity(
      tracer,
      fallback.identity,
      fallback.scheme,
      'the client accepts its key but not every signature in its chain; sending it anyway',
    );
    return fallback;
  }
  throw new TlsProtocolError(
    'handshake_failure',
    'peer accepts none of the signature schemes our keys can make ' +
      `(it offers ${schemeNames(accepted).join(', ')})`,
  );
}

function chainSignaturesAccepted(identity: LocalIdentity, accepted: readonly number[]): boolean {
  return identity.chain.every((c) => {
    const code = SignatureScheme[c.signatureAlgorithm as keyof typeof SignatureScheme];
    return code === undefined || accepted.includes(code);
  });
}

function identityLabel(identity: LocalIdentity): string {
  return `${identity.chain[0].subjectText} (${describeKey(identity.key)})`;
}

function traceIdentity(
  tracer: Tracer,
  identity: LocalIdentity,
  scheme: Scheme,
  reason: string,
): void {
  tracer.decision('certificate', identityLabel(identity), reason);
  tracer.decision('signature scheme', scheme.name, 'our first preference that the client accepts');
}

/** Our first protocol that the client offers; none in common is no_application_protocol. */
export function chooseAlpn(
  ours: readonly string[],
  extensions: Extensions,
  tracer: Tracer,
): string | false {
  const alpnExt = extensions.get(E.application_layer_protocol_negotiation);
  if (!alpnExt || ours.length === 0) return false;
  const offered = ext.protocolNameList.decode(alpnExt.data);
  const chosen = ours.find((p) => offered.includes(p));
  if (!chosen) {
    throw new TlsProtocolError(
      'no_application_protocol',
      `peer offers ALPN ${offered.join(', ')}, none of which we serve (${ours.join(', ')})`,
    );
  }
  tracer.decision('ALPN', chosen, 'our first protocol that the client offers');
  return chosen;
}
