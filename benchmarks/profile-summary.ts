// Prints the functions with the most self time in a V8 .cpuprofile, as written by
// `node --cpu-prof`:
//
//   node --cpu-prof --cpu-prof-dir=prof dist/benchmarks/run.js --only=bulk --stack=ours
//   node dist/benchmarks/profile-summary.js prof/*.cpuprofile [--top=25]

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function summarize(file: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMicros = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    const key = label(byId.get(id) as ProfileNode);
    selfMicros.set(key, (selfMicros.get(key) ?? 0) + delta);
  });
  const rows = [...selfMicros].sort((a, b) => b[1] - a[1]).slice(0, top);
  const lines = rows.map(([key, micros]) => {
    const share = ((100 * micros) / total).toFixed(1).padStart(5);
    return `${share} %  ${(micros / 1e3).toFixed(0).padStart(6)} ms  ${key}`;
  });
  return [`${path.basename(file)}: ${(total / 1e6).toFixed(2)} s sampled`, ...lines].join('\n');
}

// Functions by name and place; the project's files relative to the working directory.
function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return name;
  const file = url.startsWith('file://')
    ? path.relative(process.cwd(), new URL(url).pathname) : url;
  return `${name}  ${file}:${lineNumber + 1}`;
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: { top: { type: 'string', default: '25' } },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    process.stderr.write('usage: profile-summary FILE.cpuprofile... [--top=N]\n');
    process.exit(2);
  }
  for (const file of positionals) {
    process.stdout.write(`${summarize(file, Number(values.top))}\n\n`);
  }
}

main();
