// The messages by which we prove ourselves, sent the same way by both roles: Certificate,
// CertificateVerify and Finished (RFC 8446, Sections 4.4.2 to 4.4.4). Each is traced, added
// to the transcript and queued.

import { verifyData } from '../crypto/key-schedule';
import type { Scheme } from '../crypto/schemes';
import type { Suite } from '../crypto/suites';
import {
  encodeCertificate,
  encodeCertificateVerify,
  encodeFinished,
} from '../messages/authentication';
import type { Certificate } from '../pki/certificate';
import { signCertificateVerify, type LocalIdentity } from './certificate-auth';
import type { HandshakeIo } from './session';
import type { Transcript } from './transcript';

export function sendCertificate(
  io: HandshakeIo,
  transcript: Transcript,
  context: Buffer,
  chain: readonly Certificate[],
): void {
  const raw = encodeCertificate({
    certificateRequestContext: context,
    certificateList: chain.map((c) => ({ certData: c.der, extensions: [] })),
  });
  io.tracer.message('sent', 'Certificate', () => ({
    certificates: chain.length ? chain.map((c) => c.subjectText) : '(empty)',
  }));
  transcript.add(raw);
  io.sendHandshake(raw);
}

/** Signs the transcript so far; a Promise when the identity's signer answers later. */
export function sendCertificateVerify(
  io: HandshakeIo,
  transcript: Transcript,
  identity: LocalIdentity,
  scheme: Scheme,
  server: boolean,
): void | Promise<void> {
  const signature = signCertificateVerify(io.provider, identity, scheme, server, transcript.hash());
  const send = (sig: Buffer): void => {
    const raw = encodeCertificateVerify({ algorithm: scheme.code, signature: sig });
    io.tracer.message('sent', 'CertificateVerify', () => ({
      algorithm: scheme.name,
      signature: `${sig.length} bytes`,
    }));
    transcript.add(raw);
    io.sendHandshake(raw);
  };
  if (Buffer.isBuffer(signature)) return send(signature);
  return signature.then(send);
}

/** Finished under our handshake traffic secret, over the transcript so far. */
export function sendFinished(
  io: HandshakeIo,
  transcript: Transcript,
  suite: Suite,
  baseKey: Buffer,
): void {
  const data = verifyData(io.provider, suite, baseKey, transcript.hash());
  const raw = encodeFinished({ verifyData: data });
  io.tracer.message('sent', 'Finished', () => ({ verify_data: `${data.length} bytes` }));
  transcript.add(raw);
  io.sendHandshake(raw);
}
