// NSS key log lines (the SSLKEYLOGFILE format): the only way a secret leaves the stack.

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
