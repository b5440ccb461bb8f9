// An HTTPS GET through undici with tls13 underneath: undici's `connect` option hands it our
// socket instead of one from node:tls.
//
//   node dist/examples/undici-get.js URL [--cert F --key F --ca F]
//
// Prints the status and body. Honours SSLKEYLOGFILE, as curl and browsers do.

import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { Agent, request } from 'undici';
import { connect, type ConnectOptions } from '../lib/index';

/** An undici Agent whose connections are tls13 sockets made with `tls` options. */
export function tls13Agent(tls: ConnectOptions): Agent {
  return new Agent({
    connect: (options, callback) => {
      const socket = connect({
        ...tls,
        host: options.hostname.replace(/^\[|\]$/g, ''),
        port: Number(options.port || 443),
        servername: tls.servername ?? options.servername ?? undefined,
        ALPNProtocols: ['http/1.1'],
      });
      const onError = (error: Error): void => callback(error, null);
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        // From here on the socket's errors are undici's to handle.
        socket.removeListener('error', onError);
        callback(null, socket as unknown as Socket);
      });
    },
  });
}

export async function undiciGet(
  url: string,
  tls: ConnectOptions,
): Promise<{ status: number; body: string }> {
  const agent = tls13Agent(tls);
  try {
    const response = await request(url, { dispatcher: agent });
    return { status: response.statusCode, body: await response.body.text() };
  } finally {
    await agent.close();
  }
}

if (require.main === module) {
  const [url, ...rest] = process.argv.slice(2);
  const option = (name: string): Buffer | undefined => {
    const at = rest.indexOf(name);
    return at === -1 ? undefined : readFileSync(rest[at + 1]);
  };
  if (!url) {
    console.error('usage: undici-get URL [--cert F --key F --ca F]');
    process.exitCode = 2;
  } else {
    const tls: ConnectOptions = {
      cert: option('--cert'),
      key: option('--key'),
      ca: option('--ca'),
      keylog: process.env.SSLKEYLOGFILE || undefined,
    };
    undiciGet(url, tls).then(
      (result) => console.log(`HTTP ${result.status}\n\n${result.body}`),
      (error: Error & { code?: string }) => {
        console.error(`error: ${error.message}${error.code ? ` (${error.code})` : ''}`);
        process.exitCode = 1;
      },
    );
  }
}
