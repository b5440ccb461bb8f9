// Distinguished names (RFC 5280, Section 4.1.2.4): parsing, readable text and comparison.

import { DecodeError } from '../errors';
import { children, decodeOid, parseDer, type Tlv, UniversalTag } from './der';
import { AttributeName } from './oids';

export interface Attribute {
  oid: string;
  /** The decoded text, or the hex of the raw value when it is not a string type. */
  value: string;
  /** False when the value is not one of the DirectoryString types. */
  isString: boolean;
}

/** A parsed Name: relative distinguished names in DER order (most significant first). */
export interface DistinguishedName {
  der: Buffer;
  rdns: Attribute[][];
}

/** Parses a Name (an RDNSequence); each RDN must hold at least one attribute. */
export function parseName(tlv: Tlv): DistinguishedName {
  if (tlv.cls !== 0 || tlv.tag !== UniversalTag.sequence) {
    throw new DecodeError('Name is not a SEQUENCE');
  }
  const rdns = children(tlv).map((set) => {
    if (set.cls !== 0 || set.tag !== UniversalTag.set) throw new DecodeError('RDN is not a SET');
    const attributes = children(set).map(parseAttribute);
    if (attributes.length === 0) throw new DecodeError('RDN is empty');
    return attributes;
  });
  return { der: tlv.raw, rdns };
}

function parseAttribute(tlv: Tlv): Attribute {
  const parts = tlv.tag === UniversalTag.sequence ? children(tlv) : [];
  if (parts.length !== 2 || parts[0].tag !== UniversalTag.objectIdentifier) {
    throw new DecodeError('AttributeTypeAndValue is malformed');
  }
  const oid = decodeOid(parts[0].value);
  const text = decodeDirectoryString(parts[1]);
  if (text === undefined) return { oid, value: parts[1].raw.toString('hex'), isString: false };
  return { oid, value: text, isString: true };
}

/** Text of a string-typed value, or undefined for other types. */
export function decodeDirectoryString(tlv: Tlv): string | undefined {
  if (tlv.cls !== 0 || tlv.constructed) return undefined;
  const v = tlv.value;
  switch (tlv.tag) {
    case UniversalTag.utf8String:
      return decodeUtf8(v);
    case UniversalTag.printableString:
    case UniversalTag.ia5String:
    case UniversalTag.numericString:
    case UniversalTag.visibleString:
    case UniversalTag.teletexString:
      return v.toString('latin1');
    case UniversalTag.bmpString:
      if (v.length % 2 !== 0) throw new DecodeError('BMPString has an odd length');
      return Buffer.from(v).swap16().toString('utf16le');
    case UniversalTag.universalString:
      return decodeUniversal(v);
    default:
      return undefined;
  }
}

function decodeUtf8(v: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(v);
  } catch {
    throw new DecodeError('UTF8String is not valid UTF-8');
  }
}

function decodeUniversal(v: Buffer): string {
  if (v.length % 4 !== 0) throw new DecodeError('UniversalString length is not a multiple of 4');
  let out = '';
  for (let i = 0; i < v.length; i += 4) {
    const code = v.readUInt32BE(i);
    if (code > 0x10ffff) throw new DecodeError('UniversalString has an invalid code point');
    out += String.fromCodePoint(code);
  }
  return out;
}

/**
 * Readable text in the order of RFC 4514, Section 2.1 (least significant RDN first), with
 * ", " between RDNs: "CN=tls13 Demo Root CA, O=tls13".
 */
export function nameToText(name: DistinguishedName): string {
  return [...name.rdns]
    .reverse()
    .map((rdn) => rdn.map(attributeText).join('+'))
    .join(', ');
}

function attributeText(attr: Attribute): string {
  const type = AttributeName[attr.oid] ?? attr.oid;
  if (!attr.isString) return `${type}=#${attr.value}`;
  return `${type}=${escapeValue(attr.value)}`;
}

// RFC 4514, Section 2.4: the characters that would break the text apart.
function escapeValue(value: string): string {
  let out = value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
  out = out.replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
  return out.replace(/[\x00-\x1f]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The text of every attribute of type `oid` that holds a string, in DER order. */
export function stringAttributes(name: DistinguishedName, oid: string): string[] {
  return name.rdns
    .flatMap((rdn) => rdn.filter((a) => a.oid === oid && a.isString))
    .map((a) => a.value);
}

/** The value of the most specific attribute of type `oid` (e.g. the CN), if any. */
export function lastAttribute(name: DistinguishedName, oid: string): string | undefined {
  for (let i = name.rdns.length - 1; i >= 0; i--) {
    const found = name.rdns[i].find((a) => a.oid === oid);
    if (found) return found.value;
  }
  return undefined;
}

/**
 * Whether two names are the same, as RFC 5280, Section 7.1 asks: equal bytes, or equal after
 * folding case and inner white space of string values. Attribute order within an RDN is free.
 */
export function namesEqual(a: DistinguishedName, b: DistinguishedName): boolean {
  if (a.der.equals(b.der)) return true;
  if (a.rdns.length !== b.rdns.length) return false;
  return canonicalKey(a) === canonicalKey(b);
}

// Path building compares each certificate's issuer with every anchor's subject; the folded
// form is computed once per name.
const canonicalKeys = new WeakMap<DistinguishedName, string>();

function canonicalKey(name: DistinguishedName): string {
  let key = canonicalKeys.get(name);
  if (key === undefined) {
    key = name.rdns.map(rdnKey).join('\u0001');
    canonicalKeys.set(name, key);
  }
  return key;
}

function rdnKey(rdn: Attribute[]): string {
  return rdn
    .map((attr) => `${attr.oid}=${attr.isString ? foldValue(attr.value) : `#${attr.value}`}`)
    .sort()
    .join('\u0000');
}

function foldValue(value: string): string {
  return value.normalize('NFKC').toLowerCase().trim().replace(/\s+/g, ' ');
}

/**
 * Whether `name` lies within the subtree `base` (RFC 5280, Section 4.2.1.10, directoryName):
 * `base` is a prefix of `name`, RDN by RDN.
 */
export function nameWithin(name: DistinguishedName, base: DistinguishedName): boolean {
  if (base.rdns.length > name.rdns.length) return false;
  return base.rdns.every((rdn, i) => rdnKey(rdn) === rdnKey(name.rdns[i]));
}

/** The readable text of a DER-encoded Name, as certificate_authorities carries it. */
export function derNameToText(der: Buffer): string {
  try {
    return nameToText(parseName(parseDer(der, 'distinguished name')));
  } catch {
    return `(undecodable name of ${der.length} bytes)`;
  }
}
