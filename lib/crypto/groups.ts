// The named groups for key exchange (RFC 8446, Section 4.2.7), their names in Node's
// ecdhCurve spelling, and the sizes of their key shares.

import { NamedGroup, type NamedGroupName } from '../protocol/registry';

export interface Group {
  name: NamedGroupName;
  code: number;
  /** The spelling node:tls accepts in `ecdhCurve` (and OpenSSL's -groups). */
  aliases: readonly string[];
  kind: 'ecdh' | 'xdh';
  /** The curve name for createECDH, or the key type for generateKeyPair. */
  nodeName: string;
  /** Length of a valid key_exchange value. */
  shareLength: number;
}

export const GROUPS: readonly Group[] = [
  {
    name: 'x25519',
    code: NamedGroup.x25519,
    aliases: ['X25519', 'x25519'],
    kind: 'xdh',
    nodeName: 'x25519',
    shareLength: 32,
  },
  {
    name: 'secp256r1',
    code: NamedGroup.secp256r1,
    aliases: ['P-256', 'prime256v1', 'secp256r1'],
    kind: 'ecdh',
    nodeName: 'prime256v1',
    shareLength: 65,
  },
  {
    name: 'secp384r1',
    code: NamedGroup.secp384r1,
    aliases: ['P-384', 'secp384r1'],
    kind: 'ecdh',
    nodeName: 'secp384r1',
    shareLength: 97,
  },
  {
    name: 'secp521r1',
    code: NamedGroup.secp521r1,
    aliases: ['P-521', 'secp521r1'],
    kind: 'ecdh',
    nodeName: 'secp521r1',
    shareLength: 133,
  },
  {
    name: 'x448',
    code: NamedGroup.x448,
    aliases: ['X448', 'x448'],
    kind: 'xdh',
    nodeName: 'x448',
    shareLength: 56,
  },
];

export function groupByCode(code: number): Group | undefined {
  return GROUPS.find((g) => g.code === code);
}

/** Finds a group by its RFC name or any of Node's spellings. */
export function groupByName(name: string): Group | undefined {
  return GROUPS.find((g) => g.name === name || g.aliases.includes(name));
}
