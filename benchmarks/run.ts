// Runs the benchmarks and prints one table. `npm run bench -- --help` lists the flags.

import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { benchBulk } from './bulk';
import { findCerts } from './certs';
import { benchClientHandshakes } from './client-handshake';
import type { BenchContext } from './context';
import type { Direction } from './protocol';
import { machineLine, renderTable, type Row } from './report';
import { benchServerHandshakes } from './server-handshake';
import { readPems, type StackName } from './stacks';

const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<Row[]>> = {
  bulk: benchBulk,
  client: benchClientHandshakes,
  server: benchServerHandshakes,
};

const HELP = `usage: npm run bench -- [flags]

  --only=NAMES       comma-separated, of: ${Object.keys(BENCHMARKS).join(', ')} (default: all)
  --scale=F          multiplies bulk size and handshake time (default 1)
  --rounds=N         paired rounds per measurement; medians are reported (default 7)
  --mib=N            MiB per bulk transfer, before --scale (default 64)
  --seconds=S        seconds per timed handshake run, before --scale (default 1)
  --direction=D      bulk direction: send, receive or both (default both)
  --stack=S          ours, node or both (default both; one stack is for profiling)
  --quiet            print only the table
`;

// Bounds the whole run whatever happens in it; the defaults finish in about a minute.
const RUN_LIMIT_MS = 15 * 60_000;

function parse(): { only: string[]; ctx: Omit<BenchContext, 'certs' | 'pems'> } {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      scale: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '7' },
      mib: { type: 'string', default: '64' },
      seconds: { type: 'string', default: '1' },
      direction: { type: 'string', default: 'both' },
      stack: { type: 'string', default: 'both' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(BENCHMARKS);
  for (const name of only) if (!BENCHMARKS[name]) usage(`unknown benchmark "${name}"`);

  const scale = positive('scale', values.scale);
  const directions: Direction[] = values.direction === 'both' ? ['send', 'receive']
    : values.direction === 'send' || values.direction === 'receive' ? [values.direction]
      : usage(`unknown direction "${values.direction}"`);
  const stacks: StackName[] = values.stack === 'both' ? ['ours', 'node']
    : values.stack === 'ours' || values.stack === 'node' ? [values.stack]
      : usage(`unknown stack "${values.stack}"`);
  const writeSize = 16 * 1024;
  const bulkBytes = Math.max(writeSize, Math.round(positive('mib', values.mib) * scale * 1024 * 1024
    / writeSize) * writeSize);
  const quiet = values.quiet;
  return {
    only,
    ctx: {
      stacks,
      rounds: Math.max(1, Math.round(positive('rounds', values.rounds))),
      bulkBytes,
      writeSize,
      directions,
      seconds: positive('seconds', values.seconds) * scale,
      maxHandshakes: 100_000,
      warmupHandshakes: 50,
      log: (message) => {
        if (!quiet) process.stderr.write(`${message}\n`);
      },
    },
  };
}

function positive(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!(value > 0)) usage(`--${name} needs a positive number`);
  return value;
}

function usage(message: string): never {
  process.stderr.write(`${message}\n\n${HELP}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { only, ctx: partial } = parse();
  const guard = setTimeout(() => {
    process.stderr.write(`benchmarks stopped: over ${RUN_LIMIT_MS / 60_000} minutes\n`);
    process.exit(1);
  }, RUN_LIMIT_MS);
  guard.unref();

  const { certs, cleanup } = findCerts();
  try {
    const ctx: BenchContext = { ...partial, certs, pems: readPems(certs) };
    const started = Date.now();
    const rows: Row[] = [];
    for (const name of only) {
      partial.log(`-- ${name}`);
      rows.push(...await BENCHMARKS[name](ctx));
    }
    const took = ((Date.now() - started) / 1e3).toFixed(0);
    process.stdout.write(`\n${machineLine()}\n`);
    process.stdout.write(`certificates: ${certs.origin}, ECDSA P-256; key exchange X25519; `
      + `AES-128-GCM; ${ctx.rounds} paired rounds, medians; ${took} s; `
      // Other work on the machine moves absolute figures far more than ratios.
      + `load average ${os.loadavg()[0].toFixed(1)} at the end\n\n`);
    process.stdout.write(`${renderTable(rows)}\n`);
  } finally {
    cleanup();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
