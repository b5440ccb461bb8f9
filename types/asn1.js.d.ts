// asn1.js ships no type definitions; this covers the part of its API we use.
declare module 'asn1.js' {
  import type { Buffer } from 'node:buffer';

  export interface Asn1Node {
    [method: string]: (...args: any[]) => Asn1Node;
  }

  export interface Entity<T = any> {
    name: string;
    decode(data: Buffer, enc: 'der' | 'pem', options?: object): T;
    encode(data: T, enc: 'der' | 'pem', options?: object): Buffer;
  }

  export function define<T = any>(name: string, body: (this: Asn1Node) => void): Entity<T>;

  export const bignum: any;
  export const constants: any;
  export const decoders: any;
  export const encoders: any;
}
