// The structured trace: one record schema for client and server. Records go to a listener (the
// socket's `trace` event), to a readable rendering on stderr when `trace: true`, and, for
// handshake messages and key changes, one line each to util.debuglog('tls13').
// No record carries a secret: key changes name the secret, never its value.

import { debuglog } from 'node:util';

export type Role = 'client' | 'server';

export type TraceRecord =
  | {
      role: Role;
      kind: 'message';
      direction: 'sent' | 'received';
      message: string;
      fields: Record<string, unknown>;
    }
  | { role: Role; kind: 'decision'; topic: string; choice: string; reason: string }
  | { role: Role; kind: 'check'; subject: string; ok: boolean; detail: string }
  | { role: Role; kind: 'keys'; direction: 'read' | 'write'; secret: string }
  | {
      role: Role;
      kind: 'alert';
      direction: 'sent' | 'received';
      alert: string;
      reason: string;
      rule?: string;
    }
  | { role: Role; kind: 'note'; text: string };

export type TraceListener = (record: TraceRecord) => void;

const debug = debuglog('tls13');

export class Tracer {
  readonly role: Role;
  readonly #listeners: TraceListener[] = [];
  readonly #wanted: () => boolean;

  /** `wanted` says whether anyone reads records now; building them costs time otherwise. */
  constructor(role: Role, wanted: () => boolean = () => true) {
    this.role = role;
    this.#wanted = wanted;
  }

  /** True when someone will read detailed records; callers skip building fields otherwise. */
  get active(): boolean {
    return this.#listeners.length > 0 && this.#wanted();
  }

  addListener(listener: TraceListener): void {
    this.#listeners.push(listener);
  }

  message(
    direction: 'sent' | 'received',
    message: string,
    fields: () => Record<string, unknown>,
  ): void {
    if (debug.enabled) debug(`${this.role} ${direction} ${message}`);
    if (this.active)
      this.#emit({ role: this.role, kind: 'message', direction, message, fields: fields() });
  }

  decision(topic: string, choice: string, reason: string): void {
    if (this.active) this.#emit({ role: this.role, kind: 'decision', topic, choice, reason });
  }

  check(subject: string, ok: boolean, detail: string): void {
    if (this.active) this.#emit({ role: this.role, kind: 'check', subject, ok, detail });
  }

  keys(direction: 'read' | 'write', secret: string): void {
    if (debug.enabled) debug(`${this.role} ${direction} keys ${secret}`);
    if (this.active) this.#emit({ role: this.role, kind: 'keys', direction, secret });
  }

  alert(direction: 'sent' | 'received', alert: string, reason: string, rule?: string): void {
    if (debug.enabled) debug(`${this.role} ${direction} alert ${alert}`);
    if (this.active) this.#emit({ role: this.role, kind: 'alert', direction, alert, reason, rule });
  }

  note(text: string): void {
    if (this.active) this.#emit({ role: this.role, kind: 'note', text });
  }

  #emit(record: TraceRecord): void {
    for (const listener of this.#listeners) listener(record);
  }
}

/** Renders a record as the readable lines that `trace: true` prints. */
export function renderTrace(record: TraceRecord): string {
  const who = record.role === 'client' ? 'client' : 'server';
  switch (record.kind) {
    case 'message': {
      const arrow = record.direction === 'sent' ? '>>>' : '<<<';
      const lines = [`${who} ${arrow} ${record.message}`];
      for (const [key, value] of Object.entries(record.fields)) {
        lines.push(`${who}       ${key}: ${formatValue(value)}`);
      }
      return lines.join('\n');
    }
    case 'decision':
      return `${who} --- ${record.topic}: ${record.choice} (${record.reason})`;
    case 'check':
      return `${who} ${record.ok ? 'ok ' : 'BAD'} ${record.subject}: ${record.detail}`;
    case 'keys':
      return `${who} *** ${record.direction} keys now ${record.secret}`;
    case 'alert': {
      const arrow = record.direction === 'sent' ? '>>>' : '<<<';
      const rule = record.rule ? `\n${who}       rule: ${record.rule}` : '';
      return `${who} ${arrow} alert ${record.alert}: ${record.reason}${rule}`;
    }
    case 'note':
      return `${who}     ${record.text}`;
  }
}

function formatValue(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.length === 0 ? '(empty)' : value.toString('hex');
  if (Array.isArray(value))
    return value.length === 0 ? '(none)' : value.map(formatValue).join(', ');
  if (value !== null && typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(' ');
  }
  return String(value);
}

/** A listener that writes rendered records to a stream (stderr for `trace: true`). */
export function traceWriter(out: NodeJS.WritableStream = process.stderr): TraceListener {
  return (record) => {
    out.write(`${renderTrace(record)}\n`);
  };
}
