// asn1.js ships no type definitions; this covers the part of its API we use.
declare module 'asn1.js' {
  import type { Buffer } from 'node:buffer';

  export interface Asn1Node {
    [method: string]: (...args: any[]) => Asn1Node;
  }

  /** The bn.js big number that asn1.js returns for INTEGER values. */
  export interface BigNum {
    toNumber(): number;
    toString(base?: number): string;
    toArrayLike(type: typeof Buffer, endian?: 'be' | 'le', length?: number): Buffer;
    bitLength(): number;
    isNeg(): boolean;
    isZero(): boolean;
    cmpn(n: number): number;
  }

  export interface Entity<T = any> {
    name: string;
    decode(data: Buffer, enc: 'der' | 'pem', options?: object): T;
    encode(data: T, enc: 'der' | 'pem', options?: object): Buffer;
  }

  export function define<T = any>(name: string, body: (this: Asn1Node) => void): Entity<T>;

  export const bignum: new (value: number | string | Buffer, base?: number) => BigNum;
  export const constants: any;
  export const decoders: any;
  export const encoders: any;
}
