// Code points of TLS 1.3, named as RFC 8446 and the IANA registries name them.
// Handshake and record code use these names; no raw numbers appear there.

export const ContentType = {
  invalid: 0,
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;

export const HandshakeType = {
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  certificate_request: 13,
  certificate_verify: 15,
  finished: 20,
  key_update: 24,
  message_hash: 254,
} as const;
export type HandshakeTypeName = keyof typeof HandshakeType;

export const ExtensionType = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
} as const;
export type ExtensionName = keyof typeof ExtensionType;

export const ProtocolVersion = {
  TLS1_0: 0x0301,
  TLS1_2: 0x0303,
  TLS1_3: 0x0304,
} as const;

export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
} as const;
export type CipherSuiteName = keyof typeof CipherSuite;

export const NamedGroup = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
  x448: 0x001e,
} as const;
export type NamedGroupName = keyof typeof NamedGroup;

export const SignatureScheme = {
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
  rsa_pkcs1_sha1: 0x0201,
  ecdsa_sha1: 0x0203,
} as const;
export type SignatureSchemeName = keyof typeof SignatureScheme;

export const AlertLevel = { warning: 1, fatal: 2 } as const;

export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;
export type AlertName = keyof typeof AlertDescription;

export const KeyUpdateRequest = { update_not_requested: 0, update_requested: 1 } as const;

export const PskKeyExchangeMode = { psk_ke: 0, psk_dhe_ke: 1 } as const;

/** Looks a code point up by value; unknown values come back as a readable hex string. */
export function nameOf(table: Readonly<Record<string, number>>, value: number): string {
  for (const key in table) if (table[key] === value) return key;
  return `unknown(0x${value.toString(16).padStart(4, '0')})`;
}

/** The alert name for a description byte, or undefined when it is not one of ours. */
export function alertName(value: number): AlertName | undefined {
  for (const key in AlertDescription) {
    const name = key as AlertName;
    if (AlertDescription[name] === value) return name;
  }
  return undefined;
}

/**
 * The special Random of a HelloRetryRequest: SHA-256 of "HelloRetryRequest".
 * See RFC 8446, Section 4.1.3.
 */
export const HELLO_RETRY_REQUEST_RANDOM = Buffer.from(
  'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c',
  'hex',
);

/** Downgrade sentinels in the last 8 bytes of ServerHello.random (RFC 8446, Section 4.1.3). */
export const DOWNGRADE_TLS12 = Buffer.from('444f574e47524401', 'hex');
export const DOWNGRADE_TLS11 = Buffer.from('444f574e47524400', 'hex');

/**
 * Names of code points that TLS 1.3 does not use but clients still offer, for the trace only:
 * a person reading a ClientHello should see "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", not a number.
 */
export const OtherCipherSuite = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 0x002f,
  TLS_DHE_RSA_WITH_AES_128_CBC_SHA: 0x0033,
  TLS_RSA_WITH_AES_256_CBC_SHA: 0x0035,
  TLS_DHE_RSA_WITH_AES_256_CBC_SHA: 0x0039,
  TLS_RSA_WITH_AES_128_CBC_SHA256: 0x003c,
  TLS_RSA_WITH_AES_256_CBC_SHA256: 0x003d,
  TLS_DHE_RSA_WITH_AES_128_CBC_SHA256: 0x0067,
  TLS_DHE_RSA_WITH_AES_256_CBC_SHA256: 0x006b,
  TLS_RSA_WITH_AES_128_GCM_SHA256: 0x009c,
  TLS_RSA_WITH_AES_256_GCM_SHA384: 0x009d,
  TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: 0x009e,
  TLS_DHE_RSA_WITH_AES_256_GCM_SHA384: 0x009f,
  TLS_EMPTY_RENEGOTIATION_INFO_SCSV: 0x00ff,
  TLS_FALLBACK_SCSV: 0x5600,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 0xc009,
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 0xc00a,
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 0xc013,
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 0xc014,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 0xc023,
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384: 0xc024,
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 0xc027,
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: 0xc028,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 0xc02b,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 0xc02c,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 0xc02f,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 0xc030,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca8,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca9,
  TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 0xccaa,
} as const;

export const OtherExtensionType = {
  ec_point_formats: 11,
  encrypt_then_mac: 22,
  extended_master_secret: 23,
  compress_certificate: 27,
  record_size_limit: 28,
  session_ticket: 35,
  encrypted_client_hello: 0xfe0d,
  renegotiation_info: 0xff01,
} as const;

export const OtherNamedGroup = {
  ffdhe2048: 0x0100,
  ffdhe3072: 0x0101,
  ffdhe4096: 0x0102,
  ffdhe6144: 0x0103,
  ffdhe8192: 0x0104,
  X25519MLKEM768: 0x11ec,
} as const;

export const OtherSignatureScheme = {
  rsa_pkcs1_sha224: 0x0301,
  dsa_sha224: 0x0302,
  ecdsa_sha224: 0x0303,
  dsa_sha1: 0x0202,
  dsa_sha256: 0x0402,
  dsa_sha384: 0x0502,
  dsa_sha512: 0x0602,
} as const;

const VERSION_NAMES: Readonly<Record<number, string>> = {
  0x0300: 'SSL 3.0',
  0x0301: 'TLS 1.0',
  0x0302: 'TLS 1.1',
  0x0303: 'TLS 1.2',
  0x0304: 'TLS 1.3',
};

/** Readable names for the trace, covering code points outside TLS 1.3 too. */
export const codePointName = {
  cipherSuite: (v: number): string => nameOf({ ...CipherSuite, ...OtherCipherSuite }, v),
  extension: (v: number): string => nameOf({ ...ExtensionType, ...OtherExtensionType }, v),
  group: (v: number): string => nameOf({ ...NamedGroup, ...OtherNamedGroup }, v),
  signatureScheme: (v: number): string =>
    nameOf({ ...SignatureScheme, ...OtherSignatureScheme }, v),
  version: (v: number): string =>
    VERSION_NAMES[v] ?? `unknown(0x${v.toString(16).padStart(4, '0')})`,
};
