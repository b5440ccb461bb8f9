// An HTTPS GET through tls13: https.request with createConnection returning our socket.
//
//   node dist/examples/https-get.js URL [--cert F --key F --ca F --passphrase P --trace]
//
// Prints the status, headers and body. Honours SSLKEYLOGFILE, as curl and browsers do.

import * as https from 'node:https';
import { readFileSync } from 'node:fs';
import { connect, type ConnectOptions } from '../lib/index';

export interface GetOptions {
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
  passphrase?: string;
  trace?: boolean;
  keylog?: string;
}

export interface GetResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Performs one GET and resolves with the whole response. */
export function httpsGet(url: string, options: GetOptions = {}): Promise<GetResult> {
  const target = new URL(url);
  const tlsOptions: ConnectOptions = {
    host: target.hostname.replace(/^\[|\]$/g, ''),
    port: Number(target.port || 443),
    cert: options.cert,
    key: options.key,
    ca: options.ca,
    passphrase: options.passphrase,
    trace: options.trace,
    keylog: options.keylog,
    ALPNProtocols: ['http/1.1'],
  };
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: 'GET',
        // Node's type for createConnection wants a net.Socket; ours is the Duplex it uses.
        createConnection: () => connect(tlsOptions) as unknown as import('node:net').Socket,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end();
  });
}

// The https.Agent of tls13, kept importable from here for code written against this example.
export { Tls13Agent } from '../lib/index';

export function printResult(result: GetResult): void {
  console.log(`HTTP ${result.status}`);
  for (const [name, value] of Object.entries(result.headers)) console.log(`${name}: ${value}`);
  console.log('');
  console.log(result.body);
}

function parseArgs(argv: string[]): { url: string; options: GetOptions } {
  const options: GetOptions = {};
  let url: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--cert') options.cert = readFileSync(value());
    else if (arg === '--key') options.key = readFileSync(value());
    else if (arg === '--ca') options.ca = readFileSync(value());
    else if (arg === '--passphrase') options.passphrase = value();
    else if (arg === '--trace') options.trace = true;
    else if (!arg.startsWith('--') && !url) url = arg;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!url)
    throw new Error('usage: https-get URL [--cert F --key F --ca F --passphrase P --trace]');
  if (process.env.SSLKEYLOGFILE) options.keylog = process.env.SSLKEYLOGFILE;
  return { url, options };
}

if (require.main === module) {
  try {
    const { url, options } = parseArgs(process.argv.slice(2));
    httpsGet(url, options).then(printResult, (error: Error & { code?: string }) => {
      console.error(`error: ${error.message}${error.code ? ` (${error.code})` : ''}`);
      process.exitCode = 1;
    });
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 2;
  }
}
