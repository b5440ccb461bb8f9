// NSS key log lines (the SSLKEYLOGFILE format): the only way a secret leaves the stack, and the
// file of the `keylog` option that they may go to.

import { appendFileSync, closeSync, openSync } from 'node:fs';
import { TlsConfigError } from '../errors';

export type KeylogLabel =
  | 'CLIENT_HANDSHAKE_TRAFFIC_SECRET'
  | 'SERVER_HANDSHAKE_TRAFFIC_SECRET'
  | 'CLIENT_TRAFFIC_SECRET_0'
  | 'SERVER_TRAFFIC_SECRET_0'
  | 'EXPORTER_SECRET';

export function keylogLine(label: KeylogLabel, clientRandom: Buffer, secret: Buffer): Buffer {
  return Buffer.from(
    `${label} ${clientRandom.toString('hex')} ${secret.toString('hex')}\n`,
    'latin1',
  );
}

// Files whose failed write was already reported: one warning per file and process, however
// many connections lose their lines.
const warned = new Set<string>();

/**
 * The file of the `keylog` option. It is opened for appending (created with mode 0600) when
 * the option is read, so that a path that cannot be written fails connect() or createServer()
 * at once rather than every handshake later.
 */
export class KeylogFile {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
    try {
      closeSync(openSync(path, 'a', 0o600));
    } catch (error) {
      throw new TlsConfigError(
        'ERR_TLS13_INVALID_KEYLOG',
        `keylog: cannot open ${path} for appending (${errorCode(error)})`,
      );
    }
  }

  /**
   * Appends one line. A write that fails after the file was opened (a full disk, a folder
   * removed) does not fail the connection: the key log is a debugging aid, and losing it must
   * not cost the traffic. It becomes one process warning per file, with code
   * ERR_TLS13_KEYLOG_WRITE.
   */
  append(line: Buffer): void {
    try {
      appendFileSync(this.path, line, { mode: 0o600 });
    } catch (error) {
      if (warned.has(this.path)) return;
      warned.add(this.path);
      process.emitWarning(
        `keylog: cannot append to ${this.path} (${errorCode(error)}); the connection goes on`,
        { code: 'ERR_TLS13_KEYLOG_WRITE' },
      );
    }
  }
}

function errorCode(error: unknown): string {
  return (error as { code?: string }).code ?? (error as Error).message;
}
