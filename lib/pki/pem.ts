// PEM armour (RFC 7468): labelled base64 blocks, with any text around them.
//
// Files in the wild carry "Bag Attributes" lines from PKCS#12 exports, comments, CRLF line
// ends and the RFC 1421 headers of OpenSSL's legacy encrypted keys (Proc-Type, DEK-Info), so
// the decoder scans for BEGIN lines rather than expecting a clean file.

import { TlsConfigError } from '../errors';

export interface PemBlock {
  label: string;
  headers: Record<string, string>;
  der: Buffer;
}

const BEGIN = /^-----BEGIN ([\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?-----[ \t]*$/;
const END = /^-----END ([\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?-----[ \t]*$/;
const HEADER = /^([A-Za-z0-9-]+):[ \t]*(.*)$/;

/** True when `text` holds at least one PEM BEGIN line. */
export function looksLikePem(text: string): boolean {
  return /-----BEGIN [^\r\n]*-----/.test(text);
}

/** Every PEM block in `text`, in order. Text outside the blocks is ignored. */
export function decodePem(text: string): PemBlock[] {
  const lines = text.split(/\r?\n|\r/);
  const blocks: PemBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const begin = BEGIN.exec(lines[i].trim());
    if (!begin) continue;
    const label = begin[1] ?? '';
    const end = findEnd(lines, i + 1, label);
    blocks.push(decodeBody(label, lines.slice(i + 1, end)));
    i = end;
  }
  return blocks;
}

function findEnd(lines: string[], from: number, label: string): number {
  for (let j = from; j < lines.length; j++) {
    const line = lines[j].trim();
    const end = END.exec(line);
    if (end) {
      if ((end[1] ?? '') !== label) {
        throw pemError(`PEM block "${label}" ends with END line of "${end[1] ?? ''}"`);
      }
      return j;
    }
    if (BEGIN.test(line)) throw pemError(`PEM block "${label}" has no END line`);
  }
  throw pemError(`PEM block "${label}" has no END line`);
}

// Headers come first, ended by a blank line (RFC 1421, Section 4.4); a header value may
// continue on lines that start with white space.
function decodeBody(label: string, body: string[]): PemBlock {
  const headers: Record<string, string> = {};
  let i = 0;
  if (body.length > 0 && HEADER.test(body[0].trim())) {
    let last = '';
    for (; i < body.length && body[i].trim() !== ''; i++) {
      const line = body[i];
      const header = HEADER.exec(line.trim());
      if (/^[ \t]/.test(line) && last) headers[last] += line.trim();
      else if (header) headers[(last = header[1])] = header[2].trim();
      else throw pemError(`PEM block "${label}" has a malformed header line`);
    }
  }
  const base64 = body.slice(i).join('').replace(/[ \t]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 === 1) {
    throw pemError(`PEM block "${label}" has invalid base64`);
  }
  const der = Buffer.from(base64, 'base64');
  if (der.length === 0) throw pemError(`PEM block "${label}" is empty`);
  return { label, headers, der };
}

/** Armours `der` with 64-column base64 lines and a trailing newline; headers go first. */
export function encodePem(
  label: string,
  der: Buffer,
  headers: Record<string, string> = {},
): string {
  const base64 = der.toString('base64');
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  if (lines.length > 0) lines.push('');
  for (let i = 0; i < base64.length; i += 64) lines.push(base64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function pemError(message: string): TlsConfigError {
  return new TlsConfigError('ERR_TLS13_INVALID_PEM', message);
}
