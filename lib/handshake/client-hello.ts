// The client's hellos: building ClientHello (RFC 8446, Section 4.1.2) and the checks that
// ServerHello and HelloRetryRequest share (Sections 4.1.3 and 4.1.4).

import type { KeyShare } from '../crypto/provider';
import { CERTIFICATE_SCHEMES } from '../crypto/schemes';
import { suiteByCode, type Suite } from '../crypto/suites';
import { TlsProtocolError } from '../errors';
import * as ext from '../messages/extensions';
import { encodeClientHello, type ServerHello } from '../messages/hello';
import {
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  ExtensionType as E,
  ProtocolVersion,
  PskKeyExchangeMode,
} from '../protocol/registry';
import type { ClientHandshakeConfig } from './client';

export interface ClientHelloParts {
  random: Buffer;
  legacySessionId: Buffer;
  shares: readonly KeyShare[];
  cookie: Buffer | undefined;
}

/** Encodes a ClientHello; also returns the extension types offered, which bound the answers. */
export function buildClientHello(
  config: ClientHandshakeConfig,
  parts: ClientHelloParts,
): { raw: Buffer; offered: Set<number> } {
  const extensions: ext.Extension[] = [];
  const add = (type: number, data: Buffer): void => {
    extensions.push({ type, data });
  };
  if (config.servername) add(E.server_name, ext.serverNameList.encode(config.servername));
  add(E.supported_groups, ext.namedGroupList.encode(config.groups.map((g) => g.code)));
  add(E.signature_algorithms, ext.signatureSchemeList.encode(config.schemes.map((s) => s.code)));
  const inCertificates = CERTIFICATE_SCHEMES.map((s) => s.code);
  add(E.signature_algorithms_cert, ext.signatureSchemeList.encode(inCertificates));
  if (config.alpnProtocols.length) {
    const names = ext.protocolNameList.encode(config.alpnProtocols);
    add(E.application_layer_protocol_negotiation, names);
  }
  const entries = parts.shares.map((s) => ({ group: s.group.code, keyExchange: s.publicKey }));
  add(E.key_share, ext.keyShareClientHello.encode(entries));
  add(E.supported_versions, ext.supportedVersionsList.encode([ProtocolVersion.TLS1_3]));
  // Offered so that servers issue tickets, which are kept for the resumption work.
  add(E.psk_key_exchange_modes, ext.pskKeyExchangeModes.encode([PskKeyExchangeMode.psk_dhe_ke]));
  if (parts.cookie) add(E.cookie, ext.cookie.encode(parts.cookie));

  const raw = encodeClientHello({
    legacyVersion: ProtocolVersion.TLS1_2,
    random: parts.random,
    legacySessionId: parts.legacySessionId,
    cipherSuites: config.suites.map((s) => s.code),
    legacyCompressionMethods: Buffer.of(0),
    extensions,
  });
  return { raw, offered: new Set(extensions.map((e) => e.type)) };
}

/**
 * Checks shared by ServerHello and HelloRetryRequest: TLS 1.3 selected (else the downgrade
 * sentinel or protocol_version), our session id echoed, no compression, an offered suite, and
 * after a retry the same suite as the retry's.
 */
export function checkServerHelloCommon(
  hello: ServerHello,
  extensions: ReadonlyMap<number, ext.Extension>,
  what: string,
  expected: { legacySessionId: Buffer; suites: readonly Suite[]; retrySuite: Suite | undefined },
): Suite {
  const versionExt = extensions.get(E.supported_versions);
  if (!versionExt) {
    // RFC 8446, Section 4.1.3: a TLS 1.2 answer carrying the downgrade sentinel is an attack.
    const tail = hello.random.subarray(24);
    if (tail.equals(DOWNGRADE_TLS12) || tail.equals(DOWNGRADE_TLS11)) {
      throw new TlsProtocolError(
        'illegal_parameter',
        'peer ServerHello carries a downgrade sentinel',
      );
    }
    throw new TlsProtocolError('protocol_version', 'peer does not speak TLS 1.3');
  }
  const version = ext.supportedVersionSelected.decode(versionExt.data);
  if (version !== ProtocolVersion.TLS1_3) {
    const hex = version.toString(16);
    throw new TlsProtocolError('illegal_parameter', `peer selected version 0x${hex}, not offered`);
  }
  if (hello.legacyVersion !== ProtocolVersion.TLS1_2) {
    const hex = hello.legacyVersion.toString(16);
    throw new TlsProtocolError('illegal_parameter', `peer ${what} has legacy_version 0x${hex}`);
  }

  if (!hello.legacySessionId.equals(expected.legacySessionId)) {
    const message = `peer ${what} does not echo our legacy_session_id`;
    throw new TlsProtocolError('illegal_parameter', message);
  }

  if (hello.legacyCompressionMethod !== 0) {
    throw new TlsProtocolError('illegal_parameter', `peer ${what} selected a compression method`);
  }

  const suite = suiteByCode(hello.cipherSuite);
  if (!suite || !expected.suites.includes(suite)) {
    const hex = hello.cipherSuite.toString(16);
    const message = `peer selected cipher suite 0x${hex}, which was not offered`;
    throw new TlsProtocolError('illegal_parameter', message);
  }
  // After a HelloRetryRequest, the ServerHello keeps its suite (RFC 8446, Section 4.1.4).
  if (expected.retrySuite && expected.retrySuite !== suite) {
    const message = 'peer changed cipher suite after HelloRetryRequest';
    throw new TlsProtocolError('illegal_parameter', message);
  }
  return suite;
}
