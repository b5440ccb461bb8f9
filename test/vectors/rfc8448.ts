// Reads the handshake traces of RFC 8448 from the shared reference text. The document is a
// list of steps ("{server}  derive secret ...") per section, each with labeled hex values
// ("expanded (32 octets):  ..."); values may run over a page break, so the parser counts octets
// instead of trusting line layout.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const TRACE_FILE = path.join(
  __dirname,
  '..',
  '..',
  '..',
  'shared',
  'reference',
  'rfc8448-handshake-traces.txt'
);

export interface TraceStep {
  side: 'client' | 'server';
  /** The step's description, joined when it runs over two lines. */
  action: string;
  values: Map<string, Buffer>;
}

export interface TraceSection {
  number: number;
  title: string;
  steps: TraceStep[];
}

const PAGE_FOOTER = /^Thomson\s+Expires\b/;
const PAGE_HEADER = /^Internet-Draft\s+TLS 1\.3 Traces\b/;
const SECTION = /^(\d+)\.\s+(\S.*)$/;
const STEP = /^ {3}\{(client|server)\}\s+(.*)$/;
const VALUE = /^ {6}([A-Za-z][A-Za-z ]*?) \((\d+) octets?\):\s*(.*)$/;
const HEX_LINE = /^\s+[0-9a-f]{2}(?: [0-9a-f]{2})*\s*$/;

/** The document's lines without form feeds, page headers and page footers. */
export function cleanLines(text: string): string[] {
  return text
    .replace(/\f/g, '')
    .split(/\r?\n/)
    .filter((line) => !PAGE_FOOTER.test(line) && !PAGE_HEADER.test(line));
}

function hexOctets(text: string): string[] {
  return text.trim() === '' ? [] : text.trim().split(/\s+/);
}

export function parseTraces(text: string): Map<number, TraceSection> {
  const lines = cleanLines(text);
  const sections = new Map<number, TraceSection>();
  let section: TraceSection | undefined;
  let step: TraceStep | undefined;
  let stepHeaderOpen = false;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heading = SECTION.exec(line);
    if (heading) {
      section = { number: Number(heading[1]), title: heading[2].trim(), steps: [] };
      sections.set(section.number, section);
      step = undefined;
      continue;
    }
    if (!section) continue;

    const stepMatch = STEP.exec(line);
    if (stepMatch) {
      step = {
        side: stepMatch[1] as 'client' | 'server',
        action: stepMatch[2].trim(),
        values: new Map(),
      };
      section.steps.push(step);
      stepHeaderOpen = true;
      continue;
    }
    if (!step) continue;

    const value = VALUE.exec(line);
    if (value) {
      stepHeaderOpen = false;
      const [, label, count, first] = value;
      const expected = Number(count);
      const octets = first.trim() === '(empty)' ? [] : hexOctets(first);
      // Later lines of the value: skip blank lines (a page break), take hex lines.
      while (octets.length < expected) {
        i++;
        if (i >= lines.length) throw new Error(`trace ends inside "${label}"`);
        if (lines[i].trim() === '') continue;
        if (!HEX_LINE.test(lines[i])) throw new Error(`trace line ${i}: not hex inside "${label}"`);
        octets.push(...hexOctets(lines[i]));
      }
      if (octets.length !== expected) {
        throw new Error(`"${label}" has ${octets.length} octets, its label says ${expected}`);
      }
      if (step.values.has(label)) throw new Error(`"${label}" twice in step "${step.action}"`);
      step.values.set(label, Buffer.from(octets.join(''), 'hex'));
      continue;
    }

    // A step description that wraps onto the next line: "(same as server handshake\n secret)".
    if (stepHeaderOpen && /^ {6}\S/.test(line)) step.action += ` ${line.trim()}`;
    stepHeaderOpen = false;
  }
  return sections;
}

let cached: Map<number, TraceSection> | undefined;

export function loadTraces(): Map<number, TraceSection> {
  cached ??= parseTraces(readFileSync(TRACE_FILE, 'latin1'));
  return cached;
}

/** Accessors over one section: the nth step whose action starts with a prefix, and its values. */
export class Trace {
  readonly section: TraceSection;

  constructor(number: number) {
    const section = loadTraces().get(number);
    if (!section) throw new Error(`RFC 8448 has no section ${number}`);
    this.section = section;
  }

  steps(side: 'client' | 'server', actionPrefix: string): TraceStep[] {
    return this.section.steps.filter((s) => s.side === side && s.action.startsWith(actionPrefix));
  }

  step(side: 'client' | 'server', actionPrefix: string, nth = 0): TraceStep {
    const found = this.steps(side, actionPrefix)[nth];
    if (!found)
      throw new Error(
        `section ${this.section.number}: no step ${nth} "${actionPrefix}" of ${side}`
      );
    return found;
  }

  /** The nth value called `label` among the steps that start with the prefix and carry one. */
  value(side: 'client' | 'server', actionPrefix: string, label: string, nth = 0): Buffer {
    const found = this.steps(side, actionPrefix).filter((s) => s.values.has(label))[nth];
    if (!found) {
      throw new Error(
        `section ${this.section.number}: no step ${nth} "${actionPrefix}" of ${side} with "${label}"`
      );
    }
    return found.values.get(label) as Buffer;
  }

  /** A handshake message as constructed in the trace ("construct a Certificate handshake message"). */
  message(side: 'client' | 'server', name: string, nth = 0): Buffer {
    return this.value(side, `construct a ${name} handshake message`, name, nth);
  }
}
