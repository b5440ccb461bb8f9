// The first check of every handshake step: the message is the one this state expects.

import { TlsProtocolError } from '../errors';
import type { HandshakeMessage } from '../messages/handshake';
import { HandshakeType, nameOf } from '../protocol/registry';

/** Anything but the expected message is unexpected_message (RFC 8446, Section 6.2). */
export function expectMessage(message: HandshakeMessage, type: number): void {
  if (message.type === type) return;
  const got = nameOf(HandshakeType, message.type);
  throw new TlsProtocolError(
    'unexpected_message',
    `peer sent ${got} where ${nameOf(HandshakeType, type)} was expected`,
  );
}
