// What every benchmark is given: the certificates, the sizes and which stacks to run.

import type { CertPaths } from './certs';
import type { Direction } from './protocol';
import type { Pems, StackName } from './stacks';

export interface BenchContext {
  certs: CertPaths;
  pems: Pems;
  stacks: readonly StackName[];
  rounds: number;
  /** Bytes per bulk transfer. */
  bulkBytes: number;
  writeSize: number;
  directions: readonly Direction[];
  /** Length of one timed handshake run, and a cap on its count. */
  seconds: number;
  maxHandshakes: number;
  warmupHandshakes: number;
  log(message: string): void;
}
