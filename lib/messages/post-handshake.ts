// Messages after the handshake: NewSessionTicket and KeyUpdate (RFC 8446, Section 4.6).

import { Reader } from '../codec/reader';
import { HandshakeType } from '../protocol/registry';
import { decodeExtensions, encodeExtensions, type Extension } from './extensions';
import { encodeHandshake } from './handshake';

export interface NewSessionTicket {
  ticketLifetime: number;
  ticketAgeAdd: number;
  ticketNonce: Buffer;
  ticket: Buffer;
  extensions: Extension[];
}

export interface KeyUpdate {
  requestUpdate: number;
}

export function decodeNewSessionTicket(body: Buffer): NewSessionTicket {
  const r = new Reader(body);
  const ticketLifetime = r.u32('ticket_lifetime');
  const ticketAgeAdd = r.u32('ticket_age_add');
  const ticketNonce = r.vector(1, 0, 0xff, 'ticket_nonce');
  const ticket = r.vector(2, 1, 0xffff, 'ticket');
  const extensions = decodeExtensions(r, 'NewSessionTicket');
  r.end('NewSessionTicket');
  return { ticketLifetime, ticketAgeAdd, ticketNonce, ticket, extensions };
}

export function encodeNewSessionTicket(m: NewSessionTicket): Buffer {
  return encodeHandshake(HandshakeType.new_session_ticket, (w) => {
    w.u32(m.ticketLifetime).u32(m.ticketAgeAdd);
    w.opaque(1, m.ticketNonce).opaque(2, m.ticket);
    encodeExtensions(w, m.extensions);
  });
}

export function decodeKeyUpdate(body: Buffer): KeyUpdate {
  const r = new Reader(body);
  const requestUpdate = r.u8('request_update');
  r.end('KeyUpdate');
  // A value other than 0 or 1 is illegal_parameter, which the handshake decides.
  return { requestUpdate };
}

export function encodeKeyUpdate(m: KeyUpdate): Buffer {
  return encodeHandshake(HandshakeType.key_update, (w) => w.u8(m.requestUpdate), 8);
}
