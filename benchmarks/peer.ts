// The other end of a measurement, in its own process so that its CPU is not the measured
// side's: a node:tls server (bulk or handshake) or a node:tls client running handshakes.
// It obeys requests from its parent over IPC and exits when the parent goes away.

import type { CertPaths } from './certs';
import { runHandshakeLoop, type LoopLimits } from './handshake-loop';
import { fillerChunk, serveBulk, serveHandshake } from './protocol';
import { clientConnector, readPems, startServer, type RunningServer } from './stacks';

export type PeerRequest =
  | { cmd: 'serve'; mode: 'bulk' | 'handshake'; requestCert: boolean; certs: CertPaths;
    chunkSize: number }
  | { cmd: 'clients'; port: number; withCert: boolean; limits: LoopLimits; certs: CertPaths };

export type PeerReply =
  | { event: 'listening'; port: number }
  | { event: 'result'; count: number; elapsedMs: number; cpuMicros: number }
  | { event: 'error'; message: string };

const servers: RunningServer[] = [];

async function handle(request: PeerRequest): Promise<PeerReply> {
  const pems = readPems(request.certs);
  if (request.cmd === 'serve') {
    const chunk = fillerChunk(request.chunkSize);
    const server = await startServer('node', pems, {
      requestCert: request.requestCert,
      onSecure: (socket, authorized) => {
        if (request.mode === 'bulk') serveBulk(socket, chunk);
        else serveHandshake(socket, authorized);
      },
    });
    servers.push(server);
    return { event: 'listening', port: server.port };
  }
  // One SecureContext for all connections: the client should cost the server's measurement
  // as little as it can.
  const connector = clientConnector('node', pems, {
    port: request.port, withCert: request.withCert, sharedContext: true,
  });
  const result = await runHandshakeLoop(connector, request.limits);
  return { event: 'result', ...result };
}

function reply(message: PeerReply): void {
  process.send?.(message);
}

if (require.main === module) {
  if (!process.send) throw new Error('the benchmark peer runs only as a child process');
  process.on('message', (request: PeerRequest) => {
    handle(request).then(reply,
      (error: Error) => reply({ event: 'error', message: error.message }));
  });
  process.on('disconnect', () => process.exit(0));
}
