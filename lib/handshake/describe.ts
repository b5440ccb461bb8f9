// What the trace shows of a received ClientHello: every offer by its name, including the
// TLS 1.2 code points an older or broader client still sends.

import * as ext from '../messages/extensions';
import type { ClientHello } from '../messages/hello';
import { ExtensionType as E, codePointName } from '../protocol/registry';

export function clientHelloFields(
  hello: ClientHello,
  extensions: ReadonlyMap<number, ext.Extension>,
): Record<string, unknown> {
  // The trace is written before the checks, so a malformed extension is shown, not thrown.
  const read = <T>(type: number, decode: (d: Buffer) => T): T | string => {
    const found = extensions.get(type);
    if (!found) return '(none)';
    try {
      return decode(found.data);
    } catch {
      return '(malformed)';
    }
  };
  return {
    cipher_suites: hello.cipherSuites.map(codePointName.cipherSuite),
    supported_versions: read(E.supported_versions, (d) =>
      ext.supportedVersionsList.decode(d).map(codePointName.version),
    ),
    server_name: read(E.server_name, (d) => ext.serverNameList.decode(d)),
    supported_groups: read(E.supported_groups, (d) =>
      ext.namedGroupList.decode(d).map(codePointName.group),
    ),
    key_share: read(E.key_share, (d) =>
      ext.keyShareClientHello.decode(d).map((s) => codePointName.group(s.group)),
    ),
    signature_algorithms: read(E.signature_algorithms, (d) =>
      ext.signatureSchemeList.decode(d).map(codePointName.signatureScheme),
    ),
    alpn: read(E.application_layer_protocol_negotiation, (d) => ext.protocolNameList.decode(d)),
    legacy_session_id: `${hello.legacySessionId.length} bytes`,
    extensions: hello.extensions.map((e) => codePointName.extension(e.type)),
  };
}
