// Server full handshakes per second: our createServer and node:tls's, each in this process,
// served in turn to the same node:tls client in a peer process (one SecureContext for all
// its connections), with and without a client certificate.

import type { BenchContext } from './context';
import type { LoopLimits } from './handshake-loop';
import { PeerProcess } from './peer-process';
import { serveHandshake } from './protocol';
import { Paired, roundOrder, type Row } from './report';
import { startServer, type RunningServer, type StackName } from './stacks';

interface ServedRun {
  perSecond: number;
  /** This process's (the server's) CPU per handshake. */
  cpuMicros: number;
}

export async function benchServerHandshakes(ctx: BenchContext): Promise<Row[]> {
  const peer = PeerProcess.start();
  const rows: Row[] = [];
  try {
    for (const withCert of [false, true]) {
      const servers: Partial<Record<StackName, RunningServer>> = {};
      for (const stack of ctx.stacks) {
        servers[stack] = await startServer(stack, ctx.pems, {
          requestCert: withCert,
          onSecure: serveHandshake,
        });
      }
      try {
        rows.push(...await measure(ctx, peer, servers, withCert));
      } finally {
        for (const server of Object.values(servers)) await closeSoon(server);
      }
    }
  } finally {
    await peer.stop();
  }
  return rows;
}

async function measure(ctx: BenchContext, peer: PeerProcess,
  servers: Partial<Record<StackName, RunningServer>>, withCert: boolean): Promise<Row[]> {
  const run = async (stack: StackName, limits: LoopLimits): Promise<ServedRun> => {
    const port = (servers[stack] as RunningServer).port;
    const cpuStart = process.cpuUsage();
    const reply = await peer.request({ cmd: 'clients', port, withCert, limits, certs: ctx.certs });
    const cpu = process.cpuUsage(cpuStart);
    if (reply.event !== 'result') throw new Error('peer did not report a result');
    return {
      perSecond: reply.count / (reply.elapsedMs / 1e3),
      cpuMicros: (cpu.user + cpu.system) / reply.count,
    };
  };

  // Warm-up runs on their own, so that the server CPU of a timed run counts no cold start.
  const warmup = { seconds: 60, maxCount: ctx.warmupHandshakes, warmup: 0 };
  for (const stack of ctx.stacks) await run(stack, warmup);

  const limits = { seconds: ctx.seconds, maxCount: ctx.maxHandshakes, warmup: 0 };
  const rate = new Paired();
  const cpu = new Paired();
  const label = withCert ? 'with' : 'without';
  for (let round = 0; round < ctx.rounds; round++) {
    const results: Partial<Record<StackName, ServedRun>> = {};
    for (const stack of roundOrder(round, ctx.stacks)) results[stack] = await run(stack, limits);
    rate.add({ ours: results.ours?.perSecond, node: results.node?.perSecond });
    cpu.add({ ours: results.ours?.cpuMicros, node: results.node?.cpuMicros });
    ctx.log(`server handshakes ${label} client certificate round ${round + 1}: ${
      Object.entries(results).map(([s, r]) => `${s} ${r.perSecond.toFixed(0)}/s`).join(', ')}`);
  }
  return [
    rate.row(`server handshakes, ${label} client certificate`, 'per second'),
    cpu.row('  server CPU for the same', 'µs per handshake'),
  ];
}

// Handshake sockets close as soon as their clients do; do not wait on a straggler forever.
function closeSoon(server: RunningServer): Promise<void> {
  return Promise.race([server.close(), new Promise<void>((r) => setTimeout(r, 2_000).unref())]);
}
