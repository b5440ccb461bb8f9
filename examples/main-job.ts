// The main job (`npm start`): an HTTPS GET with a client certificate, against a local server
// that requires one, with the trace shown. Nothing is generated at run time: the demo PKI is
// in certs/. The server is Node's own https, so our client is checked by another stack.

import * as https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { httpsGet, printResult } from './https-get';
import { certPath } from './project-root';

function startServer(): Promise<https.Server> {
  const server = https.createServer({
    cert: readFileSync(certPath('server.pem')),
    key: readFileSync(certPath('server-key.pem')),
    ca: readFileSync(certPath('ca.pem')),
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
  }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    res.setHeader('content-type', 'text/plain');
    res.end(`hello ${peer.subject?.CN ?? 'stranger'}: the server saw your certificate ` +
      `(serial ${peer.serialNumber}, issued by ${peer.issuer?.CN})\n`);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main(): Promise<void> {
  const server = await startServer();
  const { port } = server.address() as AddressInfo;
  console.log(`local HTTPS server on 127.0.0.1:${port}, requiring a client certificate\n`);
  try {
    const result = await httpsGet(`https://localhost:${port}/`, {
      cert: readFileSync(certPath('client-ecdsa.pem')),
      key: readFileSync(certPath('client-ecdsa-key.pem')),
      ca: readFileSync(certPath('ca.pem')),
      trace: true,
      keylog: process.env.SSLKEYLOGFILE,
    });
    console.log('');
    printResult(result);
    if (result.status !== 200) process.exitCode = 1;
  } finally {
    server.close();
    server.closeAllConnections();
  }
}

main().catch((error: Error & { code?: string }) => {
  console.error(`error: ${error.message}${error.code ? ` (${error.code})` : ''}`);
  process.exitCode = 1;
});
