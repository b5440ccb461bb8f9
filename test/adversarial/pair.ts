// An in-memory transport pair for adversarial tests: our client on one end, our server (through
// Server.emit('connection')) on the other. The server's end can be stalled, as a peer that
// stops reading would stall a TCP socket: its writes then stay queued in its writable buffer,
// where writableLength shows how much the TLS layer has piled up without waiting for 'drain'.

import { Duplex } from 'node:stream';

export interface Pair {
  /** The transport the server uses. */
  server: Duplex;
  /** The transport the client uses. */
  client: Duplex;
  /** From now on the client reads nothing the server writes: the server's writes queue up. */
  stallServerWrites(): void;
  /** From now on the server reads nothing the client writes: the client's writes queue up. */
  stallClientWrites(): void;
}

export function transportPair(): Pair {
  let stalled = false;
  let clientStalled = false;
  // Held callbacks are never called: the bytes stay queued, as behind a full TCP window.
  const held: Array<() => void> = [];
  let client: Duplex;
  const server = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      if (stalled) {
        held.push(callback);
        return;
      }
      client.push(chunk);
      callback();
    },
    final(callback) {
      client.push(null);
      callback();
    },
  });
  client = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      if (clientStalled) {
        held.push(callback);
        return;
      }
      server.push(chunk);
      callback();
    },
    final(callback) {
      server.push(null);
      callback();
    },
  });
  return {
    server,
    client,
    stallServerWrites: () => void (stalled = true),
    stallClientWrites: () => void (clientStalled = true),
  };
}

/** Lets queued stream events and promise jobs run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}
