// Every error the stack raises, with a stable `code`, gathered in one module.
//
// Codes follow Node where Node has a name for the thing: certificate verification failures use
// OpenSSL's verify codes as node:tls reports them, and an alert received from the peer uses the
// `ERR_SSL_...` form that node:tls gives it. Everything else is `ERR_TLS13_...`. Each error carries
// the alert it sent or received, so one place can turn an error into the alert on the wire.

import { AlertDescription, type AlertName } from './protocol/registry';

/** Node's code for an alert received from the peer (OpenSSL's reason names). */
const RECEIVED_ALERT_CODES: Readonly<Record<AlertName, string>> = {
  close_notify: 'ERR_SSL_SSLV3_ALERT_CLOSE_NOTIFY',
  unexpected_message: 'ERR_SSL_SSLV3_ALERT_UNEXPECTED_MESSAGE',
  bad_record_mac: 'ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC',
  record_overflow: 'ERR_SSL_TLSV1_ALERT_RECORD_OVERFLOW',
  handshake_failure: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  bad_certificate: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  unsupported_certificate: 'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  certificate_revoked: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
  certificate_expired: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  certificate_unknown: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  illegal_parameter: 'ERR_SSL_SSLV3_ALERT_ILLEGAL_PARAMETER',
  unknown_ca: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  access_denied: 'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
  decode_error: 'ERR_SSL_TLSV1_ALERT_DECODE_ERROR',
  decrypt_error: 'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
  protocol_version: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  insufficient_security: 'ERR_SSL_TLSV1_ALERT_INSUFFICIENT_SECURITY',
  internal_error: 'ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR',
  inappropriate_fallback: 'ERR_SSL_TLSV1_ALERT_INAPPROPRIATE_FALLBACK',
  user_canceled: 'ERR_SSL_TLSV1_ALERT_USER_CANCELLED',
  missing_extension: 'ERR_SSL_TLSV13_ALERT_MISSING_EXTENSION',
  unsupported_extension: 'ERR_SSL_TLSV1_UNSUPPORTED_EXTENSION',
  unrecognized_name: 'ERR_SSL_TLSV1_UNRECOGNIZED_NAME',
  bad_certificate_status_response: 'ERR_SSL_TLSV1_BAD_CERTIFICATE_STATUS_RESPONSE',
  unknown_psk_identity: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_PSK_IDENTITY',
  certificate_required: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  no_application_protocol: 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL',
};

/** Codes of certificate verification failures, spelled as node:tls spells them. */
export const CertificateErrorCode = {
  CERT_HAS_EXPIRED: 'CERT_HAS_EXPIRED',
  CERT_NOT_YET_VALID: 'CERT_NOT_YET_VALID',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'DEPTH_ZERO_SELF_SIGNED_CERT',
  SELF_SIGNED_CERT_IN_CHAIN: 'SELF_SIGNED_CERT_IN_CHAIN',
  UNABLE_TO_GET_ISSUER_CERT: 'UNABLE_TO_GET_ISSUER_CERT',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  CERT_SIGNATURE_FAILURE: 'CERT_SIGNATURE_FAILURE',
  CERT_CHAIN_TOO_LONG: 'CERT_CHAIN_TOO_LONG',
  INVALID_CA: 'INVALID_CA',
  PATH_LENGTH_EXCEEDED: 'PATH_LENGTH_EXCEEDED',
  INVALID_PURPOSE: 'INVALID_PURPOSE',
  CERT_UNTRUSTED: 'CERT_UNTRUSTED',
  CERT_REJECTED: 'CERT_REJECTED',
  HOSTNAME_MISMATCH: 'HOSTNAME_MISMATCH',
  ERR_TLS_CERT_ALTNAME_INVALID: 'ERR_TLS_CERT_ALTNAME_INVALID',
  PERMITTED_SUBTREE_VIOLATION: 'PERMITTED_SUBTREE_VIOLATION',
  EXCLUDED_SUBTREE_VIOLATION: 'EXCLUDED_SUBTREE_VIOLATION',
  UNSUPPORTED_NAME_SYNTAX: 'UNSUPPORTED_NAME_SYNTAX',
  UNHANDLED_CRITICAL_EXTENSION: 'UNHANDLED_CRITICAL_EXTENSION',
  CERT_SIGNATURE_ALGORITHM_WEAK: 'CERT_SIGNATURE_ALGORITHM_WEAK',
  EE_KEY_TOO_SMALL: 'EE_KEY_TOO_SMALL',
  CA_KEY_TOO_SMALL: 'CA_KEY_TOO_SMALL',
  INVALID_EXTENSION: 'INVALID_EXTENSION',
  NO_EXPLICIT_POLICY: 'NO_EXPLICIT_POLICY',
  INVALID_CERTIFICATE: 'ERR_TLS13_INVALID_CERTIFICATE',
} as const;
export type CertificateErrorCodeName =
  (typeof CertificateErrorCode)[keyof typeof CertificateErrorCode];

/** The alert each verification failure sends (RFC 8446, Section 6.2). */
export function alertForCertificateError(code: string): AlertName {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'certificate_expired';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'CERT_UNTRUSTED':
    case 'INVALID_CA':
    case 'PATH_LENGTH_EXCEEDED':
    case 'CERT_CHAIN_TOO_LONG':
    case 'PERMITTED_SUBTREE_VIOLATION':
    case 'EXCLUDED_SUBTREE_VIOLATION':
      return 'unknown_ca';
    case 'CERT_SIGNATURE_ALGORITHM_WEAK':
    case 'EE_KEY_TOO_SMALL':
    case 'CA_KEY_TOO_SMALL':
    case 'UNSUPPORTED_NAME_SYNTAX':
      return 'unsupported_certificate';
    case 'INVALID_PURPOSE':
    case 'CERT_REJECTED':
      return 'unsupported_certificate';
    default:
      return 'bad_certificate';
  }
}

/** The base of every error the stack raises. */
export class TlsError extends Error {
  readonly code: string;
  /** The alert this error sent to the peer, or received from it. */
  readonly alert: AlertName | undefined;
  /** True when the alert came from the peer. */
  readonly remote: boolean;

  constructor(code: string, message: string, alert?: AlertName, remote = false) {
    super(message);
    this.name = 'TlsError';
    this.code = code;
    this.alert = alert;
    this.remote = remote;
  }
}

/** A fatal protocol failure on our side: we send `alert` and close. */
export class TlsProtocolError extends TlsError {
  constructor(alert: AlertName, message: string, code = protocolCode(alert)) {
    super(code, message, alert);
    this.name = 'TlsProtocolError';
  }
}

/** The peer sent a fatal alert (or a close_notify where none was allowed). */
export class TlsAlertError extends TlsError {
  readonly description: number;

  constructor(alert: AlertName | undefined, description: number) {
    const label = alert ?? `unknown alert ${description}`;
    const code = alert ? RECEIVED_ALERT_CODES[alert] : 'ERR_TLS13_UNKNOWN_ALERT';
    super(code, `peer sent alert ${label} (${description})`, alert, true);
    this.name = 'TlsAlertError';
    this.description = description;
  }
}

/** The peer's certificate chain or name did not pass verification. */
export class CertificateVerificationError extends TlsError {
  /** The human sentence that says where verification failed. */
  readonly reason: string;

  constructor(code: string, reason: string, alert: AlertName = alertForCertificateError(code)) {
    super(code, reason, alert);
    this.name = 'CertificateVerificationError';
    this.reason = reason;
  }
}

/** A key, certificate or option that cannot be used, found before any byte is sent. */
export class TlsConfigError extends TlsError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'TlsConfigError';
  }
}

/** A malformed structure; the engine turns it into decode_error in one place. */
export class DecodeError extends Error {
  readonly code = 'ERR_TLS13_DECODE';

  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

function protocolCode(alert: AlertName): string {
  return `ERR_TLS13_${alert.toUpperCase()}`;
}

export function alertNumber(alert: AlertName): number {
  return AlertDescription[alert];
}

/** Every failure in the record layer or a handshake, as a TlsError that names its alert. */
export function toTlsError(error: unknown): TlsError {
  if (error instanceof TlsError) return error;
  if (error instanceof DecodeError) {
    return new TlsProtocolError('decode_error', `peer sent a malformed message: ${error.message}`);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new TlsProtocolError('internal_error', `internal error: ${message}`);
}
