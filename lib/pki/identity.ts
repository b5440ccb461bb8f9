// Server identity (RFC 9525, which replaces RFC 6125): the name the client asked for against
// the subjectAltName entries of the leaf. The subject common name is never consulted.

import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

import type { Certificate } from './certificate';
import { formatIp } from './general-name';

export type NameCheck = { ok: true } | { ok: false; reason: string };

/**
 * Whether `cert` is valid for `name`, a DNS name or an IP address. DNS names compare without
 * regard to case or a trailing dot, internationalized names in their A-label form; a wildcard
 * is only a whole left-most label, never matching an IP address (RFC 9525, Section 6.3).
 */
export function checkServerName(cert: Certificate, name: string): NameCheck {
  const sans = cert.subjectAltNames;
  if (!sans || sans.length === 0) {
    return fail(`${cert.subjectText} has no subjectAltName, and the common name is not used`);
  }
  if (isIP(name)) return checkIp(cert, name);

  const wanted = normalizeDnsName(name);
  if (wanted === undefined) return fail(`"${name}" is not a valid DNS name or IP address`);
  for (const san of cert.dnsNames) {
    if (dnsNameMatches(san, wanted)) return { ok: true };
  }
  return fail(`${cert.subjectText} is not valid for ${wanted}; it names ${describeSans(cert)}`);
}

function checkIp(cert: Certificate, name: string): NameCheck {
  const wanted = ipToBytes(name);
  const found = cert.subjectAltNames?.some((n) => n.type === 'iPAddress' && n.bytes.equals(wanted));
  if (found) return { ok: true };
  return fail(
    `${cert.subjectText} is not valid for IP address ${formatIp(wanted)}; ` +
      `it names ${describeSans(cert)}`,
  );
}

function describeSans(cert: Certificate): string {
  const names = [
    ...cert.dnsNames.map((n) => `DNS:${n}`),
    ...cert.ipAddresses.map((a) => `IP:${a}`),
  ];
  if (names.length === 0) return 'no DNS name or IP address';
  if (names.length <= 6) return names.join(', ');
  return `${names.slice(0, 6).join(', ')} and ${names.length - 6} more`;
}

function fail(reason: string): NameCheck {
  return { ok: false, reason };
}

/** Lower-case A-label form without a trailing dot, or undefined when it is not a host name. */
export function normalizeDnsName(name: string): string | undefined {
  let host = name.endsWith('.') ? name.slice(0, -1) : name;
  if (/[^\x00-\x7f]/.test(host)) host = domainToASCII(host);
  host = host.toLowerCase();
  return isHostName(host) ? host : undefined;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** RFC 1034, Section 3.5 preferred name syntax as RFC 1123, Section 2.1 relaxes it. */
export function isHostName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.split('.');
  if (!labels.every((label) => LABEL.test(label))) return false;
  // A name that is all digits and dots is an IPv4 address written as a name.
  return !/^[0-9.]+$/.test(host);
}

/**
 * Whether a dNSName entry matches `host` (already normalized). The entry must itself be a
 * valid name; a wildcard stands for exactly one whole left-most label, under at least two.
 */
export function dnsNameMatches(entry: string, host: string): boolean {
  const pattern = (entry.endsWith('.') ? entry.slice(0, -1) : entry).toLowerCase();
  if (!pattern.startsWith('*.')) return isHostName(pattern) && pattern === host;
  const base = pattern.slice(2);
  if (!isHostName(base) || !base.includes('.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === base;
}

/** The 4 or 16 bytes of a textual IPv4 or IPv6 address (which isIP has accepted). */
export function ipToBytes(address: string): Buffer {
  // A zone (fe80::1%eth0) scopes the address to this host; certificates never carry one.
  const [text] = address.split('%', 1);
  if (isIP(text) === 4) return Buffer.from(text.split('.').map(Number));
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const group = (g: string): number[] => (g.includes('.') ? ipv4Groups(g) : [parseInt(g, 16)]);
  const parse = (part: string | undefined): number[] =>
    part ? part.split(':').flatMap(group) : [];
  const left = parse(head);
  const right = parse(tail);
  const zeros = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  const out = Buffer.alloc(16);
  [...left, ...zeros, ...right].forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function ipv4Groups(dotted: string): number[] {
  const b = dotted.split('.').map(Number);
  return [(b[0] << 8) | b[1], (b[2] << 8) | b[3]];
}

/**
 * Why a common name of a server certificate is written in a form the Baseline Requirements,
 * Section 7.1.4.3 forbid, or undefined when it is not. A common name that holds an address or
 * a domain name must hold it in its one text form, as a copy of the subjectAltName entry: an
 * IPv4 address in dotted decimal without leading zeros (RFC 3986, Section 3.2.2), an IPv6
 * address as RFC 5952 writes it, a domain name in A-labels. Identity never comes from the
 * common name; one written otherwise shows a certificate issued outside the profile. Whether
 * the name is among the SANs is not checked here (see the README's differences from
 * x509-limbo).
 */
export function commonNameFormProblem(cn: string): string | undefined {
  const shown = JSON.stringify(cn.length > 80 ? `${cn.slice(0, 80)}...` : cn);
  const address = readAddress(cn);
  if (address) {
    if (cn === address.text) return undefined;
    const rfc = address.bytes.length === 4 ? 'RFC 3986, Section 3.2.2' : 'RFC 5952';
    return `holds the address ${shown}, which ${rfc} writes ${address.text}`;
  }
  if (!/[^\x00-\x7f]/.test(cn) || /\s/.test(cn)) return undefined;
  const wildcard = cn.startsWith('*.');
  const ascii = normalizeDnsName(wildcard ? cn.slice(2) : cn);
  if (ascii === undefined || !ascii.includes('.')) return undefined;
  const aLabels = wildcard ? `*.${ascii}` : ascii;
  return `holds the domain name ${shown} in Unicode, not in the A-labels ${aLabels}`;
}

/** The address a common name spells, with its canonical text; loose on purpose, to catch forms
 * that are not canonical (leading zeros, upper case, a zone, digits outside ASCII). */
function readAddress(cn: string): { bytes: Buffer; text: string } | undefined {
  const ascii = /[^\x00-\x7f]/.test(cn) ? domainToASCII(cn) : cn;
  if (/^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(ascii)) {
    const octets = ascii.split('.').map(Number);
    if (octets.some((o) => o > 255)) return undefined;
    return { bytes: Buffer.from(octets), text: octets.join('.') };
  }
  const [literal] = cn.split('%', 1);
  if (isIP(literal) !== 6) return undefined;
  const bytes = ipToBytes(literal);
  // An address written with an IPv4 tail keeps it in its canonical text.
  return { bytes, text: formatIp(bytes, literal.includes('.')) };
}
