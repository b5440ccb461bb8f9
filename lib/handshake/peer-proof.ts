// The two messages by which a peer proves itself, checked the same way by both roles:
// CertificateVerify (RFC 8446, Section 4.4.3) and Finished (Section 4.4.4).

import { verifyData } from '../crypto/key-schedule';
import type { Scheme } from '../crypto/schemes';
import type { Suite } from '../crypto/suites';
import { TlsProtocolError } from '../errors';
import { decodeCertificateVerify, decodeFinished } from '../messages/authentication';
import type { Certificate } from '../pki/certificate';
import { SignatureScheme, nameOf } from '../protocol/registry';
import { verifyCertificateVerify } from './certificate-auth';
import type { HandshakeIo } from './session';

/** Decodes the peer's CertificateVerify, traces it and checks it; returns its scheme. */
export function receiveCertificateVerify(
  io: HandshakeIo,
  body: Buffer,
  options: {
    leaf: Certificate;
    offered: readonly Scheme[];
    peerIsServer: boolean;
    transcriptHash: Buffer;
  },
): Scheme {
  const verify = decodeCertificateVerify(body);
  io.tracer.message('received', 'CertificateVerify', () => ({
    algorithm: nameOf(SignatureScheme, verify.algorithm),
    signature: `${verify.signature.length} bytes`,
  }));
  return verifyCertificateVerify(io.provider, io.tracer, {
    ...options,
    algorithm: verify.algorithm,
    signature: verify.signature,
  });
}

/**
 * Checks the peer's Finished against the transcript up to it, in constant time; a mismatch is
 * decrypt_error. `baseKey` is the peer's handshake traffic secret.
 */
export function receiveFinished(
  io: HandshakeIo,
  body: Buffer,
  suite: Suite,
  baseKey: Buffer,
  transcriptHash: Buffer,
): void {
  const finished = decodeFinished(body, suite.hashLength);
  const expected = verifyData(io.provider, suite, baseKey, transcriptHash);
  const ok = io.provider.equal(expected, finished.verifyData);
  io.tracer.message('received', 'Finished', () => ({ verify_data: ok ? 'matches' : 'WRONG' }));
  if (!ok)
    throw new TlsProtocolError('decrypt_error', 'peer Finished does not match the transcript');
}
