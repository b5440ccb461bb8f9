// Which extension may appear in which message: the table of RFC 8446, Section 4.2, and the
// checks every extension block gets (no duplicates, nothing unsolicited, nothing misplaced).

import { TlsProtocolError } from '../errors';
import type { Extension } from '../messages/extensions';
import { ExtensionType as E, nameOf } from '../protocol/registry';

export type MessageKind = 'CH' | 'SH' | 'HRR' | 'EE' | 'CR' | 'CT' | 'NST';

/** RFC 8446, Section 4.2: the messages each extension may appear in. */
const ALLOWED: ReadonlyMap<number, readonly MessageKind[]> = new Map<number, MessageKind[]>([
  [E.server_name, ['CH', 'EE']],
  [E.max_fragment_length, ['CH', 'EE']],
  [E.status_request, ['CH', 'CR', 'CT']],
  [E.supported_groups, ['CH', 'EE']],
  [E.signature_algorithms, ['CH', 'CR']],
  [E.use_srtp, ['CH', 'EE']],
  [E.heartbeat, ['CH', 'EE']],
  [E.application_layer_protocol_negotiation, ['CH', 'EE']],
  [E.signed_certificate_timestamp, ['CH', 'CR', 'CT']],
  [E.client_certificate_type, ['CH', 'EE']],
  [E.server_certificate_type, ['CH', 'EE']],
  [E.padding, ['CH']],
  [E.key_share, ['CH', 'SH', 'HRR']],
  [E.pre_shared_key, ['CH', 'SH']],
  [E.psk_key_exchange_modes, ['CH']],
  [E.early_data, ['CH', 'EE', 'NST']],
  [E.cookie, ['CH', 'HRR']],
  [E.supported_versions, ['CH', 'SH', 'HRR']],
  [E.certificate_authorities, ['CH', 'CR']],
  [E.oid_filters, ['CR']],
  [E.post_handshake_auth, ['CH']],
  [E.signature_algorithms_cert, ['CH', 'CR']],
]);

const MESSAGE_NAMES: Readonly<Record<MessageKind, string>> = {
  CH: 'ClientHello',
  SH: 'ServerHello',
  HRR: 'HelloRetryRequest',
  EE: 'EncryptedExtensions',
  CR: 'CertificateRequest',
  CT: 'Certificate',
  NST: 'NewSessionTicket',
};

/**
 * Checks an extension block. `offered` is the set of extension types the client sent, for the
 * server's messages: a server may only answer what was asked (unsupported_extension).
 * Returns the extensions by type.
 */
export function checkExtensions(
  list: readonly Extension[],
  kind: MessageKind,
  offered?: ReadonlySet<number>,
): Map<number, Extension> {
  const byType = new Map<number, Extension>();
  const where = MESSAGE_NAMES[kind];
  for (const ext of list) {
    const name = nameOf(E, ext.type);
    if (byType.has(ext.type)) {
      throw new TlsProtocolError('illegal_parameter', `peer sent ${name} twice in ${where}`);
    }
    byType.set(ext.type, ext);

    const allowed = ALLOWED.get(ext.type);
    if (allowed && !allowed.includes(kind)) {
      throw new TlsProtocolError(
        'illegal_parameter',
        `peer sent ${name} in ${where}, where it is not allowed`,
      );
    }
    // Unknown extensions are ignored in ClientHello and CertificateRequest; elsewhere they
    // answer nothing we sent (RFC 8446, Section 4.2).
    if (offered && !offered.has(ext.type) && kind !== 'CR' && kind !== 'NST') {
      throw new TlsProtocolError(
        'unsupported_extension',
        `peer sent ${name} in ${where}, which was not offered`,
      );
    }
  }
  return byType;
}

/** RFC 8446, Section 4.2: pre_shared_key, when present, must be the last in ClientHello. */
export function checkPreSharedKeyLast(list: readonly Extension[]): void {
  const index = list.findIndex((e) => e.type === E.pre_shared_key);
  if (index !== -1 && index !== list.length - 1) {
    throw new TlsProtocolError(
      'illegal_parameter',
      'peer sent pre_shared_key before the last extension',
    );
  }
}
