// The rule of RFC 8446 behind each alert we send, for the trace: a person reading why a
// handshake ended should see which requirement the peer broke.

import type { AlertName } from '../protocol/registry';

const RULES: Partial<Record<AlertName, string>> = {
  unexpected_message:
    'RFC 8446, Section 6.2: a message arrived out of order or in the wrong record',
  bad_record_mac: 'RFC 8446, Section 5.2: a record failed AEAD authentication',
  record_overflow: 'RFC 8446, Section 5.1: records carry at most 2^14 bytes (2^14 + 256 protected)',
  handshake_failure: 'RFC 8446, Section 4.1.1: no acceptable set of parameters in common',
  bad_certificate:
    'RFC 8446, Section 6.2: a certificate was corrupt or its signature did not verify',
  unsupported_certificate: 'RFC 8446, Section 6.2: a certificate of an unsupported type or purpose',
  certificate_expired: 'RFC 5280, Section 6.1.3: the certificate is outside its validity period',
  certificate_unknown: 'RFC 8446, Section 6.2: the certificate could not be accepted',
  illegal_parameter: 'RFC 8446, Section 6.2: a field was out of range or inconsistent',
  unknown_ca: 'RFC 8446, Section 6.2: the chain does not lead to a trusted certificate authority',
  decode_error: 'RFC 8446, Section 6.2: a message could not be decoded',
  decrypt_error: 'RFC 8446, Section 4.4.3 / 4.4.4: a signature or Finished did not verify',
  protocol_version: 'RFC 8446, Section 4.2.1: the peer did not offer TLS 1.3',
  missing_extension: 'RFC 8446, Section 9.2: a mandatory extension was absent',
  unsupported_extension: 'RFC 8446, Section 4.2: an extension the other side never offered',
  unrecognized_name: 'RFC 6066, Section 3: no identity for the requested server name',
  certificate_required: 'RFC 8446, Section 4.4.2.4: a certificate is required and none was sent',
  no_application_protocol: 'RFC 7301, Section 3.2: no ALPN protocol in common',
  internal_error: "RFC 8446, Section 6.2: a failure on our side, not the peer's",
};

export function ruleFor(alert: AlertName): string | undefined {
  return RULES[alert];
}
