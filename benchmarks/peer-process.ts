// Starts a peer process and talks to it one request at a time.

import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { PeerReply, PeerRequest } from './peer';

const REQUEST_TIMEOUT_MS = 120_000;

export class PeerProcess {
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  static start(): PeerProcess {
    const built = path.extname(__filename) === '.js';
    const script = path.join(__dirname, built ? 'peer.js' : 'peer.ts');
    // Explicit execArgv: a --cpu-prof given to the parent must not profile the peer as well.
    const execArgv = built ? [] : ['-r', require.resolve('ts-node/register/transpile-only')];
    return new PeerProcess(fork(script, [], { execArgv, stdio: 'inherit' }));
  }

  request(request: PeerRequest): Promise<Exclude<PeerReply, { event: 'error' }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`peer gave no answer to "${request.cmd}" in ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      const onMessage = (message: PeerReply): void => {
        cleanup();
        if (message.event === 'error') reject(new Error(`peer: ${message.message}`));
        else resolve(message);
      };
      const onExit = (code: number | null): void => {
        cleanup();
        reject(new Error(`peer exited with code ${code}`));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#child.removeListener('message', onMessage);
        this.#child.removeListener('exit', onExit);
      };
      this.#child.on('message', onMessage);
      this.#child.once('exit', onExit);
      this.#child.send(request);
    });
  }

  async serve(request: Extract<PeerRequest, { cmd: 'serve' }>): Promise<number> {
    const reply = await this.request(request);
    if (reply.event !== 'listening') throw new Error('peer did not start a server');
    return reply.port;
  }

  stop(): Promise<void> {
    if (this.#child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.#child.once('exit', () => resolve());
      this.#child.disconnect();
      // The peer exits on disconnect; this only covers a peer stuck in a loop.
      setTimeout(() => this.#child.kill(), 5_000).unref();
    });
  }
}
