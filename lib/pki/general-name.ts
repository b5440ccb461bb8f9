// GeneralName (RFC 5280, Section 4.2.1.6), read with our strict DER reader.
//
// GeneralName is a CHOICE told apart only by context tags. asn1.js matches tag numbers without
// their class, so it would take a universal INTEGER for a [2] dNSName; this CHOICE is therefore
// decoded here, where the class is checked.

import { DecodeError } from '../errors';
import { children, decodeOid, parseDer, TagClass, type Tlv } from './der';
import { type DistinguishedName, parseName } from './name';

export type GeneralName =
  | { type: 'otherName'; typeId: string; raw: Buffer }
  | { type: 'rfc822Name'; value: string }
  | { type: 'dNSName'; value: string }
  | { type: 'x400Address'; raw: Buffer }
  | { type: 'directoryName'; name: DistinguishedName }
  | { type: 'ediPartyName'; raw: Buffer }
  | { type: 'uniformResourceIdentifier'; value: string }
  | { type: 'iPAddress'; bytes: Buffer }
  | { type: 'registeredID'; oid: string };

/** Decodes one GeneralName element. */
export function parseGeneralName(tlv: Tlv): GeneralName {
  if (tlv.cls !== TagClass.context) throw new DecodeError('GeneralName has a non-context tag');
  switch (tlv.tag) {
    case 0:
      return parseOtherName(tlv);
    case 1:
      return { type: 'rfc822Name', value: ia5(tlv, 'rfc822Name') };
    case 2:
      return { type: 'dNSName', value: ia5(tlv, 'dNSName') };
    case 3:
      return { type: 'x400Address', raw: tlv.raw };
    case 4:
      return { type: 'directoryName', name: parseName(explicitInner(tlv)) };
    case 5:
      return { type: 'ediPartyName', raw: tlv.raw };
    case 6:
      return { type: 'uniformResourceIdentifier', value: ia5(tlv, 'URI') };
    case 7:
      if (tlv.constructed) throw new DecodeError('iPAddress is constructed');
      return { type: 'iPAddress', bytes: tlv.value };
    case 8:
      if (tlv.constructed) throw new DecodeError('registeredID is constructed');
      return { type: 'registeredID', oid: decodeOid(tlv.value) };
    default:
      throw new DecodeError(`GeneralName has unknown tag [${tlv.tag}]`);
  }
}

/** Decodes GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName. */
export function parseGeneralNames(tlv: Tlv, what: string): GeneralName[] {
  const names = children(tlv).map(parseGeneralName);
  if (names.length === 0) throw new DecodeError(`${what} is an empty GeneralNames`);
  return names;
}

/** Decodes the DER of an extension whose value is GeneralNames (subjectAltName). */
export function parseGeneralNamesDer(der: Buffer, what: string): GeneralName[] {
  const tlv = parseDer(der, what);
  if (tlv.cls !== TagClass.universal || tlv.tag !== 16) {
    throw new DecodeError(`${what} is not a SEQUENCE`);
  }
  return parseGeneralNames(tlv, what);
}

function parseOtherName(tlv: Tlv): GeneralName {
  const parts = tlv.constructed ? children(tlv) : [];
  const wellFormed =
    parts.length === 2 &&
    parts[0].tag === 6 &&
    parts[1].cls === TagClass.context &&
    parts[1].tag === 0 &&
    parts[1].constructed;
  if (!wellFormed) throw new DecodeError('otherName is malformed');
  return { type: 'otherName', typeId: decodeOid(parts[0].value), raw: tlv.raw };
}

function ia5(tlv: Tlv, what: string): string {
  if (tlv.constructed) throw new DecodeError(`${what} is constructed`);
  for (const b of tlv.value) {
    if (b > 0x7f) throw new DecodeError(`${what} is not IA5 (ASCII)`);
  }
  return tlv.value.toString('latin1');
}

function explicitInner(tlv: Tlv): Tlv {
  const inner = tlv.constructed ? children(tlv) : [];
  if (inner.length !== 1) throw new DecodeError('explicit tag must hold exactly one element');
  return inner[0];
}

/**
 * Text of an iPAddress entry: dotted IPv4 or RFC 5952 IPv6. With `ipv4Tail`, an IPv6 address
 * keeps its last four bytes in dotted form, as RFC 5952, Section 5 writes ::ffff:192.0.2.1.
 */
export function formatIp(bytes: Buffer, ipv4Tail = false): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return `<${bytes.length}-byte address>`;
  const groups: number[] = [];
  for (let i = 0; i < (ipv4Tail ? 12 : 16); i += 2) groups.push(bytes.readUInt16BE(i));
  const text = compressIpv6(groups);
  if (!ipv4Tail) return text;
  const tail = [...bytes.subarray(12)].join('.');
  return text.endsWith('::') ? `${text}${tail}` : `${text}:${tail}`;
}

// RFC 5952, Section 4.2: the longest run of two or more zero groups becomes "::"; the first
// such run where two are as long. `groups` is all eight, or the six before an IPv4 tail.
function compressIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length;) {
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}
