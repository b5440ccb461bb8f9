// The authentication messages: EncryptedExtensions, CertificateRequest, Certificate,
// CertificateVerify and Finished (RFC 8446, Sections 4.3 and 4.4).

import { Reader } from '../codec/reader';
import { HandshakeType } from '../protocol/registry';
import { decodeExtensions, encodeExtensions, type Extension } from './extensions';
import { encodeHandshake, frameHandshake } from './handshake';

export interface EncryptedExtensions {
  extensions: Extension[];
}

export interface CertificateRequest {
  certificateRequestContext: Buffer;
  extensions: Extension[];
}

export interface CertificateEntry {
  certData: Buffer;
  extensions: Extension[];
}

export interface Certificate {
  certificateRequestContext: Buffer;
  certificateList: CertificateEntry[];
}

export interface CertificateVerify {
  algorithm: number;
  signature: Buffer;
}

export interface Finished {
  verifyData: Buffer;
}

export function decodeEncryptedExtensions(body: Buffer): EncryptedExtensions {
  const r = new Reader(body);
  const extensions = decodeExtensions(r, 'EncryptedExtensions');
  r.end('EncryptedExtensions');
  return { extensions };
}

export function encodeEncryptedExtensions(m: EncryptedExtensions): Buffer {
  return encodeHandshake(HandshakeType.encrypted_extensions, (w) =>
    encodeExtensions(w, m.extensions),
  );
}

export function decodeCertificateRequest(body: Buffer): CertificateRequest {
  const r = new Reader(body);
  const certificateRequestContext = r.vector(1, 0, 0xff, 'certificate_request_context');
  const extensions = decodeExtensions(r, 'CertificateRequest');
  r.end('CertificateRequest');
  return { certificateRequestContext, extensions };
}

export function encodeCertificateRequest(m: CertificateRequest): Buffer {
  return encodeHandshake(HandshakeType.certificate_request, (w) => {
    w.opaque(1, m.certificateRequestContext);
    encodeExtensions(w, m.extensions);
  });
}

export function decodeCertificate(body: Buffer): Certificate {
  const r = new Reader(body);
  const certificateRequestContext = r.vector(1, 0, 0xff, 'certificate_request_context');
  const list = r.sub(3, 0, 0xffffff, 'certificate_list');
  const certificateList: CertificateEntry[] = [];
  while (list.remaining > 0) {
    const certData = list.vector(3, 1, 0xffffff, 'cert_data');
    const extensions = decodeExtensions(list, 'CertificateEntry');
    certificateList.push({ certData, extensions });
  }
  r.end('Certificate');
  return { certificateRequestContext, certificateList };
}

export function encodeCertificate(m: Certificate): Buffer {
  const size = m.certificateList.reduce((n, e) => n + e.certData.length + 8, 16);
  return encodeHandshake(
    HandshakeType.certificate,
    (w) => {
      w.opaque(1, m.certificateRequestContext);
      w.vector(3, () => {
        for (const entry of m.certificateList) {
          w.opaque(3, entry.certData);
          encodeExtensions(w, entry.extensions);
        }
      });
    },
    size,
  );
}

export function decodeCertificateVerify(body: Buffer): CertificateVerify {
  const r = new Reader(body);
  const algorithm = r.u16('algorithm');
  const signature = r.vector(2, 0, 0xffff, 'signature');
  r.end('CertificateVerify');
  return { algorithm, signature };
}

export function encodeCertificateVerify(m: CertificateVerify): Buffer {
  return encodeHandshake(HandshakeType.certificate_verify, (w) => {
    w.u16(m.algorithm).opaque(2, m.signature);
  });
}

/** Finished is the bare verify_data, whose length is the suite's hash length. */
export function decodeFinished(body: Buffer, hashLength: number): Finished {
  const r = new Reader(body);
  const verifyData = r.bytes(hashLength, 'verify_data');
  r.end('Finished');
  return { verifyData };
}

export function encodeFinished(m: Finished): Buffer {
  return frameHandshake(HandshakeType.finished, m.verifyData);
}
