// Extension blocks and the extension bodies we read and write (RFC 8446, Section 4.2).
// Pure encode and decode: which extension may appear where is decided in the handshake layer.

import { Reader } from '../codec/reader';
import { Writer } from '../codec/writer';
import { DecodeError } from '../errors';

export interface Extension {
  type: number;
  data: Buffer;
}

export function decodeExtensions(r: Reader, what: string): Extension[] {
  const list: Extension[] = [];
  const block = r.sub(2, 0, 0xffff, `${what} extensions`);
  while (block.remaining > 0) {
    const type = block.u16('extension type');
    const data = block.vector(2, 0, 0xffff, 'extension_data');
    list.push({ type, data });
  }
  return list;
}

export function encodeExtensions(w: Writer, list: readonly Extension[]): void {
  w.vector(2, () => {
    for (const ext of list) w.u16(ext.type).opaque(2, ext.data);
  });
}

/** Decodes an extension body with `body`, requiring it to be consumed whole. */
function whole<T>(data: Buffer, what: string, body: (r: Reader) => T): T {
  const r = new Reader(data);
  const value = body(r);
  r.end(what);
  return value;
}

function u16List(r: Reader, lengthBytes: 1 | 2, min: number, what: string): number[] {
  const list = r.sub(lengthBytes, min, lengthBytes === 1 ? 0xfe : 0xfffe, what);
  if (list.remaining % 2 !== 0) throw new DecodeError(`${what} has an odd length`);
  const out: number[] = [];
  while (list.remaining > 0) out.push(list.u16(what));
  return out;
}

function build(body: (w: Writer) => void): Buffer {
  const w = new Writer(64);
  body(w);
  return w.finish();
}

// supported_versions: a list in ClientHello, one version in ServerHello.

export const supportedVersionsList = {
  decode: (data: Buffer): number[] =>
    whole(data, 'supported_versions', (r) => u16List(r, 1, 2, 'supported_versions')),
  encode: (versions: readonly number[]): Buffer =>
    build((w) => w.vector(1, () => versions.forEach((v) => w.u16(v)))),
};

export const supportedVersionSelected = {
  decode: (data: Buffer): number => whole(data, 'supported_versions', (r) => r.u16()),
  encode: (version: number): Buffer => build((w) => w.u16(version)),
};

// supported_groups, signature_algorithms and signature_algorithms_cert: lists of uint16.

export const namedGroupList = {
  decode: (data: Buffer): number[] =>
    whole(data, 'supported_groups', (r) => u16List(r, 2, 2, 'supported_groups')),
  encode: (groups: readonly number[]): Buffer =>
    build((w) => w.vector(2, () => groups.forEach((g) => w.u16(g)))),
};

export const signatureSchemeList = {
  decode: (data: Buffer): number[] =>
    whole(data, 'signature_algorithms', (r) => u16List(r, 2, 2, 'signature_algorithms')),
  encode: (schemes: readonly number[]): Buffer =>
    build((w) => w.vector(2, () => schemes.forEach((s) => w.u16(s)))),
};

// key_share (RFC 8446, Section 4.2.8).

export interface KeyShareEntry {
  group: number;
  keyExchange: Buffer;
}

function readKeyShareEntry(r: Reader): KeyShareEntry {
  const group = r.u16('key_share group');
  const keyExchange = r.vector(2, 1, 0xffff, 'key_exchange');
  return { group, keyExchange };
}

export const keyShareClientHello = {
  decode: (data: Buffer): KeyShareEntry[] =>
    whole(data, 'key_share', (r) => {
      const list = r.sub(2, 0, 0xffff, 'client_shares');
      const shares: KeyShareEntry[] = [];
      while (list.remaining > 0) shares.push(readKeyShareEntry(list));
      return shares;
    }),
  encode: (shares: readonly KeyShareEntry[]): Buffer =>
    build((w) =>
      w.vector(2, () => {
        for (const s of shares) w.u16(s.group).opaque(2, s.keyExchange);
      }),
    ),
};

export const keyShareServerHello = {
  decode: (data: Buffer): KeyShareEntry => whole(data, 'key_share', readKeyShareEntry),
  encode: (share: KeyShareEntry): Buffer =>
    build((w) => w.u16(share.group).opaque(2, share.keyExchange)),
};

export const keyShareHelloRetryRequest = {
  decode: (data: Buffer): number => whole(data, 'key_share', (r) => r.u16('selected_group')),
  encode: (group: number): Buffer => build((w) => w.u16(group)),
};

// server_name (RFC 6066, Section 3): only host_name entries exist.

export const serverNameList = {
  decode: (data: Buffer): string[] =>
    whole(data, 'server_name', (r) => {
      const list = r.sub(2, 1, 0xffff, 'server_name_list');
      const names: string[] = [];
      while (list.remaining > 0) {
        const nameType = list.u8('name_type');
        const name = list.vector(2, 1, 0xffff, 'host_name');
        if (nameType === 0) names.push(name.toString('latin1'));
      }
      return names;
    }),
  encode: (hostName: string): Buffer =>
    build((w) => w.vector(2, () => w.u8(0).opaque(2, Buffer.from(hostName, 'latin1')))),
};

// application_layer_protocol_negotiation (RFC 7301, Section 3.1).

export const protocolNameList = {
  decode: (data: Buffer): string[] =>
    whole(data, 'application_layer_protocol_negotiation', (r) => {
      const list = r.sub(2, 2, 0xffff, 'protocol_name_list');
      const names: string[] = [];
      while (list.remaining > 0)
        names.push(list.vector(1, 1, 0xff, 'ProtocolName').toString('latin1'));
      return names;
    }),
  encode: (names: readonly string[]): Buffer =>
    build((w) =>
      w.vector(2, () => {
        for (const n of names) w.opaque(1, Buffer.from(n, 'latin1'));
      }),
    ),
};

// cookie (RFC 8446, Section 4.2.2).

export const cookie = {
  decode: (data: Buffer): Buffer => whole(data, 'cookie', (r) => r.vector(2, 1, 0xffff, 'cookie')),
  encode: (value: Buffer): Buffer => build((w) => w.opaque(2, value)),
};

// certificate_authorities (RFC 8446, Section 4.2.4): DER-encoded distinguished names.

export const certificateAuthorities = {
  decode: (data: Buffer): Buffer[] =>
    whole(data, 'certificate_authorities', (r) => {
      const list = r.sub(2, 3, 0xffff, 'authorities');
      const names: Buffer[] = [];
      while (list.remaining > 0) names.push(list.vector(2, 1, 0xffff, 'DistinguishedName'));
      return names;
    }),
  encode: (names: readonly Buffer[]): Buffer =>
    build((w) => w.vector(2, () => names.forEach((n) => w.opaque(2, n)))),
};

// psk_key_exchange_modes (RFC 8446, Section 4.2.9).

export const pskKeyExchangeModes = {
  decode: (data: Buffer): number[] =>
    whole(data, 'psk_key_exchange_modes', (r) => [...r.vector(1, 1, 0xff, 'ke_modes')]),
  encode: (modes: readonly number[]): Buffer => build((w) => w.opaque(1, Buffer.from(modes))),
};

/** An extension whose body must be empty (early_data in EncryptedExtensions, server_name). */
export const empty = {
  decode: (data: Buffer, what: string): void => whole(data, what, () => undefined),
  encode: (): Buffer => Buffer.alloc(0),
};

export function findExtension(list: readonly Extension[], type: number): Extension | undefined {
  for (const ext of list) if (ext.type === type) return ext;
  return undefined;
}
