// The client's reading of a CertificateRequest (RFC 8446, Section 4.3.2): the context, the
// signature schemes the server accepts and the CAs it names, checked and traced.

import { TlsProtocolError } from '../errors';
import { decodeCertificateRequest } from '../messages/authentication';
import * as ext from '../messages/extensions';
import { derNameToText } from '../pki/name';
import { ExtensionType as E, codePointName } from '../protocol/registry';
import type { Tracer } from '../trace/trace';
import type { CertificateRequested } from './certificate-auth';
import { checkExtensions } from './extension-rules';

/** certificate_authorities with a zero-length list, as OpenSSL sends it with -no_ca_names. */
const EMPTY_AUTHORITIES = Buffer.alloc(2);

export function readCertificateRequest(body: Buffer, tracer: Tracer): CertificateRequested {
  const request = decodeCertificateRequest(body);
  const extensions = checkExtensions(request.extensions, 'CR');

  // In the handshake the context is empty; only post-handshake requests fill it.
  if (request.certificateRequestContext.length !== 0) {
    throw new TlsProtocolError(
      'illegal_parameter',
      'peer CertificateRequest has a non-empty context',
    );
  }

  const sigExt = extensions.get(E.signature_algorithms);
  if (!sigExt) {
    throw new TlsProtocolError(
      'missing_extension',
      'peer CertificateRequest has no signature_algorithms',
    );
  }
  const schemes = ext.signatureSchemeList.decode(sigExt.data);

  // OpenSSL 3.0 told not to name its CAs (s_server -no_ca_names) still sends this extension,
  // with an empty list below the RFC's minimum of 3 bytes. OpenSSL's own client reads that as
  // naming no CA; so do we, rather than fail the handshake with decode_error.
  const caExt = extensions.get(E.certificate_authorities);
  const emptyList = caExt !== undefined && caExt.data.equals(EMPTY_AUTHORITIES);
  const authorities = caExt && !emptyList ? ext.certificateAuthorities.decode(caExt.data) : [];

  tracer.message('received', 'CertificateRequest', () => ({
    signature_algorithms: schemes.map(codePointName.signatureScheme),
    certificate_authorities: caExt ? authorities.map(derNameToText) : '(none)',
  }));
  return { context: request.certificateRequestContext, schemes, authorities };
}
