// Node's HTTP client over our socket: https.request with createConnection, and a keep-alive
// https.Agent whose createConnection returns our socket, against Node's https server on
// 127.0.0.1 that requires a client certificate. (createConnection is honoured only without an
// agent: `agent: false` makes a fresh https.Agent that would call tls.connect instead.)

import test, { type ExecutionContext } from 'ava';
import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { connect } from '../../lib/connect';
import { Tls13Agent } from '../../lib/index';
import { TlsSocket } from '../../lib/socket';
import { LOOPBACK } from '../helpers/peers';
import { SERVER_NAME, demo } from '../helpers/pki';

const CLIENT_IDENTITY = { cert: demo('client-ecdsa.pem'), key: demo('client-ecdsa-key.pem') };
const CLIENT_CN = /^CN=(.*)$/m.exec(new X509Certificate(demo('client-ecdsa.pem')).subject)?.[1];

interface Served {
  port: number;
  /** The client port of each request's connection, in order. */
  remotePorts: number[];
}

/** An https server that answers each request with the client certificate's CN and the path. */
/** With `closeIdleAfter`, the server ends each connection that long after a response. */
async function startHttpsServer(t: ExecutionContext, closeIdleAfter?: number): Promise<Served> {
  const remotePorts: number[] = [];
  const server = https.createServer({
    cert: demo('server.pem'), key: demo('server-key.pem'), ca: demo('ca.pem'),
    requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3',
  }, (req, res) => {
    const socket = req.socket as TLSSocket;
    remotePorts.push(socket.remotePort as number);
    res.setHeader('content-type', 'text/plain');
    res.end(`hello ${socket.getPeerCertificate().subject.CN} at ${req.url}`);
    if (closeIdleAfter !== undefined) {
      res.once('finish', () => setTimeout(() => socket.end(), closeIdleAfter));
    }
  });
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  return { port: (server.address() as net.AddressInfo).port, remotePorts };
}

function ourSocket(port: number): TlsSocket {
  return connect({
    host: LOOPBACK, port, servername: SERVER_NAME, ca: demo('ca.pem'), ...CLIENT_IDENTITY,
  });
}

function body(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => resolve(Buffer.concat(chunks).toString()));
    response.once('error', reject);
  });
}

interface Got {
  status?: number;
  text: string;
  socket: net.Socket;
}

function get(options: https.RequestOptions): Promise<Got> {
  return new Promise((resolve, reject) => {
    const request = https.request({ method: 'GET', ...options }, (response) => {
      const socket = request.socket as net.Socket;
      body(response).then((text) => resolve({ status: response.statusCode, text, socket }), reject);
    });
    request.once('error', reject);
    request.end();
  });
}

test('a GET through https.request with createConnection returning our socket', async (t) => {
  const served = await startHttpsServer(t);
  let created = 0;
  const { status, text, socket } = await get({
    host: LOOPBACK, port: served.port, path: '/one',
    createConnection: () => {
      created++;
      return ourSocket(served.port) as unknown as net.Socket;
    },
  });
  t.is(status, 200);
  t.is(text, `hello ${CLIENT_CN} at /one`);
  t.is(created, 1);
  t.true(socket instanceof TlsSocket);
  t.is((socket as unknown as TlsSocket).getProtocol(), 'TLSv1.3');
});

/** A keep-alive agent whose connections are our sockets. */
class OurAgent extends https.Agent {
  created = 0;
  readonly sockets_: TlsSocket[] = [];
  /** For each socket, its close event's hadError. */
  readonly closed: Array<Promise<boolean>> = [];

  override createConnection(options: { port?: number | null }): net.Socket {
    this.created++;
    const socket = ourSocket(Number(options.port));
    this.sockets_.push(socket);
    this.closed.push(new Promise((resolve) => socket.once('close', resolve)));
    return socket as unknown as net.Socket;
  }
}

test('two GETs through a keep-alive https.Agent reuse one socket of ours', async (t) => {
  const served = await startHttpsServer(t);
  const agent = new OurAgent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const first = await get({ host: LOOPBACK, port: served.port, path: '/first', agent });
  const second = await get({ host: LOOPBACK, port: served.port, path: '/second', agent });
  t.is(first.status, 200);
  t.is(first.text, `hello ${CLIENT_CN} at /first`);
  t.is(second.status, 200);
  t.is(second.text, `hello ${CLIENT_CN} at /second`);
  t.is(agent.created, 1);
  t.is(first.socket, second.socket);
  t.is(first.socket, agent.sockets_[0] as unknown as net.Socket);
  t.is(served.remotePorts.length, 2);
  t.is(served.remotePorts[0], served.remotePorts[1], 'the server saw one TCP connection');
  t.is(served.remotePorts[0], agent.sockets_[0].localPort as number);
});

test('a kept socket the server closes while idle is dropped; the next GET opens one', async (t) => {
  // The server, not the agent, ends the idle connection: Node's own keep-alive timeout would
  // send a Keep-Alive hint that makes the agent close the socket itself.
  const served = await startHttpsServer(t, 100);
  const agent = new OurAgent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const first = await get({ host: LOOPBACK, port: served.port, path: '/first', agent });
  t.false(await agent.closed[0], 'the idle socket closed cleanly when the server ended it');
  t.true(agent.sockets_[0].readableEnded, 'it saw the end of the data of the server first');
  const second = await get({ host: LOOPBACK, port: served.port, path: '/second', agent });
  t.is(first.text, `hello ${CLIENT_CN} at /first`);
  t.is(second.text, `hello ${CLIENT_CN} at /second`);
  t.is(agent.created, 2);
  t.not(served.remotePorts[0], served.remotePorts[1]);
});

test('Tls13Agent: three GETs on one keep-alive connection of ours', async (t) => {
  const served = await startHttpsServer(t);
  const agent = new Tls13Agent({ servername: SERVER_NAME, ca: demo('ca.pem'), ...CLIENT_IDENTITY },
    { keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const texts: string[] = [];
  for (const path of ['/1', '/2', '/3']) {
    const response = await get({ host: LOOPBACK, port: served.port, path, agent });
    t.true(response.socket instanceof TlsSocket);
    texts.push(response.text);
  }
  t.deepEqual(texts, ['/1', '/2', '/3'].map((p) => `hello ${CLIENT_CN} at ${p}`));
  t.is(new Set(served.remotePorts).size, 1, 'the server saw one TCP connection');
});

test('Tls13Agent: the name to verify comes from each request when the agent names none', async (t) => {
  const served = await startHttpsServer(t);
  const agent = new Tls13Agent({ ca: demo('ca.pem'), ...CLIENT_IDENTITY });
  t.teardown(() => agent.destroy());
  const response = await get({ host: LOOPBACK, servername: SERVER_NAME, port: served.port,
    path: '/named', agent });
  t.is(response.text, `hello ${CLIENT_CN} at /named`);
  t.is((response.socket as unknown as TlsSocket).servername, SERVER_NAME);
  // Without a name the address itself is checked (the certificate names 127.0.0.1); a wrong
  // name is refused.
  const byAddress = await get({ host: LOOPBACK, port: served.port, path: '/ip', agent });
  t.is(byAddress.text, `hello ${CLIENT_CN} at /ip`);
  const refused = await t.throwsAsync(get({ host: LOOPBACK, servername: 'elsewhere.test',
    port: served.port, path: '/', agent }));
  t.is((refused as Error & { code?: string }).code, 'ERR_TLS_CERT_ALTNAME_INVALID');
});

test('Tls13Agent: agent options keep keep-alive on unless they turn it off', (t) => {
  const tls = { ca: demo('ca.pem') };
  const agents = [new Tls13Agent(tls), new Tls13Agent(tls, { maxSockets: 2 }),
    new Tls13Agent(tls, { keepAlive: false })];
  t.teardown(() => agents.forEach((a) => a.destroy()));
  const keepAlive = (a: Tls13Agent): boolean => (a as unknown as { keepAlive: boolean }).keepAlive;
  t.deepEqual(agents.map(keepAlive), [true, true, false]);
  t.is(agents[1].maxSockets, 2);
});
