// Medians, paired ratios and the printed table.

import * as os from 'node:os';
import type { StackName } from './stacks';

/** One line of the table; `ratio` is the median of per-round ratios ours / node:tls. */
export interface Row {
  name: string;
  unit: string;
  ours?: number;
  node?: number;
  ratio?: number;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Rounds of paired measurements: in each round both stacks run back to back, so a ratio is
 * taken between runs a few seconds apart, which cancels most of the drift of a shared machine.
 */
export class Paired {
  readonly #values: Record<StackName, number[]> = { ours: [], node: [] };
  readonly #ratios: number[] = [];

  add(round: Partial<Record<StackName, number>>): void {
    if (round.ours !== undefined) this.#values.ours.push(round.ours);
    if (round.node !== undefined) this.#values.node.push(round.node);
    if (round.ours !== undefined && round.node !== undefined) {
      this.#ratios.push(round.ours / round.node);
    }
  }

  row(name: string, unit: string): Row {
    const pick = (values: number[]): number | undefined =>
      (values.length ? median(values) : undefined);
    return {
      name, unit,
      ours: pick(this.#values.ours),
      node: pick(this.#values.node),
      ratio: pick(this.#ratios),
    };
  }
}

/** The order of the two stacks in a round: alternated, so neither always runs first. */
export function roundOrder(round: number, stacks: readonly StackName[]): StackName[] {
  return round % 2 === 0 ? [...stacks] : [...stacks].reverse();
}

export function machineLine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  const { node, openssl } = process.versions;
  const system = `${os.platform()} ${os.arch()}`;
  return `${model}, ${cpus.length} cores, Node ${node}, OpenSSL ${openssl}, ${system}`;
}

export function renderTable(rows: Row[]): string {
  const header = ['benchmark', 'unit', 'tls13', 'node:tls', 'tls13 / node:tls'];
  const lines = rows.map((r) => [
    r.name, r.unit, format(r.ours), format(r.node),
    r.ratio === undefined ? '-' : r.ratio.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cells: string[]): string => {
    const padded = cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i])));
    return `| ${padded.join(' | ')} |`;
  };
  // Markdown: text columns left-aligned, numbers right-aligned.
  const dashes = widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`));
  const rule = `|${dashes.join('|')}|`;
  return [line(header), rule, ...lines.map(line)].join('\n');
}

function format(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
