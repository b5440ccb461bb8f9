// Client full handshakes per second with a client certificate (ECDSA P-256, X25519): our
// client and node:tls's, one after the other, against the same node:tls server in a peer
// process that asks for and verifies the certificate.

import type { BenchContext } from './context';
import { runHandshakeLoop, type LoopResult } from './handshake-loop';
import { PeerProcess } from './peer-process';
import { Paired, roundOrder, type Row } from './report';
import { clientConnector, type StackName } from './stacks';

export async function benchClientHandshakes(ctx: BenchContext): Promise<Row[]> {
  const peer = PeerProcess.start();
  try {
    const port = await peer.serve({
      cmd: 'serve', mode: 'handshake', requestCert: true, certs: ctx.certs, chunkSize: 1,
    });
    const limits = { seconds: ctx.seconds, maxCount: ctx.maxHandshakes, warmup: 0 };
    const warmup = { ...limits, seconds: 60, maxCount: ctx.warmupHandshakes };
    const connectors = Object.fromEntries(ctx.stacks.map((stack) => [
      stack, clientConnector(stack, ctx.pems, { port, withCert: true }),
    ]));
    // node:tls lets a caller build its SecureContext once; shown apart, as a reference.
    const sharedContext = ctx.stacks.includes('node')
      ? clientConnector('node', ctx.pems, { port, withCert: true, sharedContext: true })
      : undefined;

    for (const stack of ctx.stacks) await runHandshakeLoop(connectors[stack], warmup);
    if (sharedContext) await runHandshakeLoop(sharedContext, warmup);

    const rate = new Paired();
    const cpu = new Paired();
    const shared = new Paired();
    const sharedCpu = new Paired();
    for (let round = 0; round < ctx.rounds; round++) {
      const results: Partial<Record<StackName, LoopResult>> = {};
      for (const stack of roundOrder(round, ctx.stacks)) {
        results[stack] = await runHandshakeLoop(connectors[stack], limits);
      }
      const perSecond = (r?: LoopResult): number | undefined => r && r.count / (r.elapsedMs / 1e3);
      const cpuEach = (r?: LoopResult): number | undefined => r && r.cpuMicros / r.count;
      rate.add({ ours: perSecond(results.ours), node: perSecond(results.node) });
      cpu.add({ ours: cpuEach(results.ours), node: cpuEach(results.node) });
      if (sharedContext) {
        const withShared = await runHandshakeLoop(sharedContext, limits);
        shared.add({ ours: perSecond(results.ours), node: perSecond(withShared) });
        sharedCpu.add({ ours: cpuEach(results.ours), node: cpuEach(withShared) });
      }
      ctx.log(`client handshakes round ${round + 1}: ${Object.entries(results)
        .map(([s, r]) => `${s} ${perSecond(r)?.toFixed(0)}/s`).join(', ')}`);
    }
    const rows = [
      rate.row('client handshakes, client certificate', 'per second'),
      cpu.row('  client CPU for the same', 'µs per handshake'),
    ];
    if (sharedContext) {
      rows.push(shared.row('  the same, node:tls with one SecureContext', 'per second'));
      rows.push(sharedCpu.row('  client CPU for that', 'µs per handshake'));
    }
    return rows;
  } finally {
    await peer.stop();
  }
}
