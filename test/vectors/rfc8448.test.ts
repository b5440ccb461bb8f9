// The handshakes of RFC 8448 fed through our transcript, key schedule, Finished, record
// protection and message codecs; every value must match the trace byte for byte.
// Sections: 3 (simple 1-RTT), 5 (HelloRetryRequest), 6 (client authentication), plus every
// HKDF-Expand-Label step of sections 3 to 7.

import test, { type ExecutionContext } from 'ava';
import * as crypto from 'node:crypto';
import {
  EarlySecret,
  certificateVerifyContent,
  deriveSecret,
  finishedKey,
  hkdfExpandLabel,
  resumptionPsk,
  trafficKeys,
  verifyData,
  type TrafficKeys,
} from '../../lib/crypto/key-schedule';
import { NodeCryptoProvider } from '../../lib/crypto/node-provider';
import { schemeByCode, schemeByName } from '../../lib/crypto/schemes';
import { suiteByName, type Suite } from '../../lib/crypto/suites';
import { Transcript } from '../../lib/handshake/transcript';
import {
  decodeCertificate,
  decodeCertificateRequest,
  decodeCertificateVerify,
  decodeEncryptedExtensions,
  decodeFinished,
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateVerify,
  encodeEncryptedExtensions,
  encodeFinished,
} from '../../lib/messages/authentication';
import {
  cookie,
  empty,
  keyShareClientHello,
  keyShareHelloRetryRequest,
  keyShareServerHello,
  namedGroupList,
  pskKeyExchangeModes,
  serverNameList,
  signatureSchemeList,
  supportedVersionSelected,
  supportedVersionsList,
} from '../../lib/messages/extensions';
import {
  decodeClientHello,
  decodeServerHello,
  encodeClientHello,
  encodeServerHello,
} from '../../lib/messages/hello';
import { decodeNewSessionTicket, encodeNewSessionTicket } from '../../lib/messages/post-handshake';
import { Deframer } from '../../lib/record/deframer';
import { RecordOpener, RecordSealer, plaintextRecord } from '../../lib/record/protection';
import { ContentType, HELLO_RETRY_REQUEST_RANDOM } from '../../lib/protocol/registry';
import { Trace, loadTraces } from './rfc8448';

const provider = new NodeCryptoProvider();
const suite = suiteByName('TLS_AES_128_GCM_SHA256') as Suite;

function sameHex(t: ExecutionContext, actual: Buffer, expected: Buffer, what: string): void {
  t.is(actual.toString('hex'), expected.toString('hex'), what);
}

type Side = 'client' | 'server';

/** Compares a value with the one labeled `label` in a step of the trace. */
function checker(t: ExecutionContext, tr: Trace) {
  return (actual: Buffer, side: Side, step: string, label: string, nth = 0): void =>
    sameHex(t, actual, tr.value(side, step, label, nth), `${side} ${step}: ${label}`);
}

function body(message: Buffer): Buffer {
  if (message.readUIntBE(1, 3) !== message.length - 4)
    throw new Error('trace message with a wrong length');
  return message.subarray(4);
}

// ---------------------------------------------------------------------------------------------
// Key exchange from the trace's private keys, through node:crypto directly.

function x25519Secret(privateKey: Buffer, ownPublic: Buffer, peerPublic: Buffer): Buffer {
  const priv = crypto.createPrivateKey({
    key: {
      kty: 'OKP',
      crv: 'X25519',
      d: privateKey.toString('base64url'),
      x: ownPublic.toString('base64url'),
    },
    format: 'jwk',
  });
  const pub = crypto.createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: peerPublic.toString('base64url') },
    format: 'jwk',
  });
  return crypto.diffieHellman({ privateKey: priv, publicKey: pub });
}

function p256Jwk(publicKey: Buffer): { kty: string; crv: string; x: string; y: string } {
  return {
    kty: 'EC',
    crv: 'P-256',
    x: publicKey.subarray(1, 33).toString('base64url'),
    y: publicKey.subarray(33, 65).toString('base64url'),
  };
}

function p256Secret(privateKey: Buffer, ownPublic: Buffer, peerPublic: Buffer): Buffer {
  const priv = crypto.createPrivateKey({
    key: { ...p256Jwk(ownPublic), d: privateKey.toString('base64url') },
    format: 'jwk',
  });
  const pub = crypto.createPublicKey({ key: p256Jwk(peerPublic), format: 'jwk' });
  return crypto.diffieHellman({ privateKey: priv, publicKey: pub });
}

// ---------------------------------------------------------------------------------------------
// One full handshake of a trace section.

interface HandshakeCase {
  section: number;
  group: 'x25519' | 'P-256';
  /** Index of the client's and server's final hello among the trace's hellos. */
  hello: number;
  serverFlight: string[];
  clientFlight: string[];
  serverScheme: string;
  clientScheme?: string;
}

const CASES: HandshakeCase[] = [
  {
    section: 3,
    group: 'x25519',
    hello: 0,
    serverFlight: ['EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished'],
    clientFlight: ['Finished'],
    serverScheme: 'rsa_pss_rsae_sha256',
  },
  {
    section: 5,
    group: 'P-256',
    hello: 1,
    serverFlight: ['EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished'],
    clientFlight: ['Finished'],
    serverScheme: 'rsa_pss_rsae_sha256',
  },
  {
    section: 6,
    group: 'x25519',
    hello: 0,
    serverFlight: [
      'EncryptedExtensions',
      'CertificateRequest',
      'Certificate',
      'CertificateVerify',
      'Finished',
    ],
    clientFlight: ['Certificate', 'CertificateVerify', 'Finished'],
    serverScheme: 'ecdsa_secp256r1_sha256',
    clientScheme: 'rsa_pss_rsae_sha256',
  },
  // Compatibility mode: a legacy session id and change_cipher_spec records, same key schedule.
  {
    section: 7,
    group: 'x25519',
    hello: 0,
    serverFlight: ['EncryptedExtensions', 'Certificate', 'CertificateVerify', 'Finished'],
    clientFlight: ['Finished'],
    serverScheme: 'rsa_pss_rsae_sha256',
  },
];

interface Derived {
  serverHandshake: TrafficKeys;
  clientHandshake: TrafficKeys;
  serverApplication: TrafficKeys;
  clientApplication: TrafficKeys;
}

/** Runs the whole key schedule of a case, checking every value, and returns the record keys. */
function runKeySchedule(t: ExecutionContext, c: HandshakeCase): Derived {
  const tr = new Trace(c.section);
  const check = checker(t, tr);
  const pub = (side: 'client' | 'server', nth: number): Buffer =>
    tr.value(side, 'create an ephemeral', 'public key', nth);
  const priv = (side: 'client' | 'server', nth: number): Buffer =>
    tr.value(side, 'create an ephemeral', 'private key', nth);

  // The (EC)DHE shared secret, computed from both sides.
  const share = c.hello;
  const derive = c.group === 'x25519' ? x25519Secret : p256Secret;
  const fromClient = derive(priv('client', share), pub('client', share), pub('server', 0));
  const fromServer = derive(priv('server', 0), pub('server', 0), pub('client', share));
  const ikm = tr.value('server', 'extract secret "handshake"', 'IKM');
  sameHex(t, fromClient, ikm, 'shared secret (client side)');
  sameHex(t, fromServer, ikm, 'shared secret (server side)');

  // Early and handshake secrets.
  const early = new EarlySecret(provider, suite);
  check(early.earlySecret, 'server', 'extract secret "early"', 'secret');
  const hs = early.handshakeSecret(fromClient);
  check(hs.handshakeSecret, 'server', 'extract secret "handshake"', 'secret');

  // Transcript up to ServerHello; after a HelloRetryRequest, ClientHello1 becomes message_hash.
  const transcript = new Transcript(provider);
  if (c.hello === 0) {
    transcript.add(tr.message('client', 'ClientHello'));
    transcript.start(suite);
    transcript.add(tr.message('server', 'ServerHello'));
  } else {
    transcript.add(tr.message('client', 'ClientHello', 0));
    transcript.replaceWithMessageHash(suite);
    transcript.add(tr.message('server', 'ServerHello', 0));
    transcript.add(tr.message('client', 'ClientHello', 1));
    transcript.add(tr.message('server', 'ServerHello', 1));
  }
  const helloHash = transcript.hash();
  check(helloHash, 'server', 'derive secret "tls13 c hs traffic"', 'hash');

  const hsTraffic = hs.trafficSecrets(helloHash);
  check(hsTraffic.client, 'server', 'derive secret "tls13 c hs traffic"', 'expanded');
  check(hsTraffic.server, 'server', 'derive secret "tls13 s hs traffic"', 'expanded');

  const master = hs.masterSecret();
  check(master.masterSecret, 'server', 'extract secret "master"', 'secret');

  const serverHandshake = trafficKeys(provider, suite, hsTraffic.server);
  const clientHandshake = trafficKeys(provider, suite, hsTraffic.client);
  const checkKeys = (
    keys: TrafficKeys,
    side: 'client' | 'server',
    step: string,
    what: string
  ): void => {
    check(keys.key, side, step, 'key expanded');
    check(keys.iv, side, step, 'iv expanded');
  };
  checkKeys(
    serverHandshake,
    'server',
    'derive write traffic keys for handshake data',
    'server handshake'
  );
  checkKeys(
    clientHandshake,
    'server',
    'derive read traffic keys for handshake data',
    'client handshake'
  );

  // The server's flight, its CertificateVerify and its Finished.
  let serverVerified = false;
  for (const name of c.serverFlight) {
    const message = tr.message('server', name);
    if (name === 'CertificateVerify') {
      serverVerified = checkCertificateVerify(t, tr, 'server', transcript.hash(), c.serverScheme);
    }
    if (name === 'Finished') {
      const expected = tr.value('server', 'calculate finished', 'finished');
      const hash = transcript.hash();
      check(
        finishedKey(provider, suite, hsTraffic.server),
        'server',
        'calculate finished',
        'expanded'
      );
      const vd = verifyData(provider, suite, hsTraffic.server, hash);
      sameHex(t, vd, expected, 'server verify_data');
      sameHex(t, encodeFinished({ verifyData: vd }), message, 'server Finished message');
    }
    transcript.add(message);
  }
  t.true(serverVerified, 'server CertificateVerify checked');

  // Application traffic and exporter secrets from the hash up to the server Finished.
  const finishedHash = transcript.hash();
  check(finishedHash, 'server', 'derive secret "tls13 c ap traffic"', 'hash');
  const app = master.applicationSecrets(finishedHash);
  check(app.client, 'server', 'derive secret "tls13 c ap traffic"', 'expanded');
  check(app.server, 'server', 'derive secret "tls13 s ap traffic"', 'expanded');
  check(app.exporter, 'server', 'derive secret "tls13 exp master"', 'expanded');

  const serverApplication = trafficKeys(provider, suite, app.server);
  const clientApplication = trafficKeys(provider, suite, app.client);
  checkKeys(
    serverApplication,
    'server',
    'derive write traffic keys for application data',
    'server application'
  );
  checkKeys(
    clientApplication,
    'client',
    'derive write traffic keys for application data',
    'client application'
  );

  // The client's flight.
  for (const name of c.clientFlight) {
    const message = tr.message('client', name);
    if (name === 'CertificateVerify') {
      t.true(
        checkCertificateVerify(t, tr, 'client', transcript.hash(), c.clientScheme as string),
        'client CertificateVerify checked'
      );
    }
    if (name === 'Finished') {
      const vd = verifyData(provider, suite, hsTraffic.client, transcript.hash());
      check(
        finishedKey(provider, suite, hsTraffic.client),
        'client',
        'calculate finished',
        'expanded'
      );
      check(vd, 'client', 'calculate finished', 'finished');
      sameHex(t, encodeFinished({ verifyData: vd }), message, 'client Finished message');
    }
    transcript.add(message);
  }

  const clientFinishedHash = transcript.hash();
  check(clientFinishedHash, 'client', 'derive secret "tls13 res master"', 'hash');
  check(
    master.resumptionMasterSecret(clientFinishedHash),
    'client',
    'derive secret "tls13 res master"',
    'expanded'
  );

  return { serverHandshake, clientHandshake, serverApplication, clientApplication };
}

/**
 * Verifies a CertificateVerify of the trace with the public key of the sender's certificate,
 * through our provider; also checks that a changed transcript or the other side's context
 * fails. Returns whether the real signature verified.
 */
function checkCertificateVerify(
  t: ExecutionContext,
  tr: Trace,
  side: 'client' | 'server',
  hash: Buffer,
  schemeName: string
): boolean {
  const cert = decodeCertificate(body(tr.message(side, 'Certificate')));
  const key = new crypto.X509Certificate(cert.certificateList[0].certData).publicKey;
  const cv = decodeCertificateVerify(body(tr.message(side, 'CertificateVerify')));
  const scheme = schemeByCode(cv.algorithm);
  t.is(scheme?.name as string | undefined, schemeName, `${side} CertificateVerify scheme`);
  if (!scheme) return false;

  const server = side === 'server';
  const ok = provider.verify(scheme, key, certificateVerifyContent(server, hash), cv.signature);
  t.false(
    provider.verify(scheme, key, certificateVerifyContent(!server, hash), cv.signature),
    `${side} signature must not verify with the other side's context string`
  );
  const otherHash = Buffer.from(hash);
  otherHash[0] ^= 1;
  t.false(
    provider.verify(scheme, key, certificateVerifyContent(server, otherHash), cv.signature),
    `${side} signature must not verify over another transcript`
  );
  return ok;
}

for (const c of CASES) {
  test(`section ${c.section}: key schedule, transcript, Finished and signatures match the trace`, (t) => {
    runKeySchedule(t, c);
  });

  test(`section ${c.section}: every record seals to the trace's bytes and opens to its payload`, (t) => {
    const keys = runKeySchedule(t, c);
    const tr = new Trace(c.section);
    checkRecords(t, tr, 'server', [
      { keys: keys.serverHandshake, records: 1 },
      { keys: keys.serverApplication, records: Infinity },
    ]);
    checkRecords(t, tr, 'client', [
      { keys: keys.clientHandshake, records: 1 },
      { keys: keys.clientApplication, records: Infinity },
    ]);
  });
}

const RECORD_TYPES: Record<string, number> = {
  'send handshake record:': ContentType.handshake,
  'send application_data record:': ContentType.application_data,
  'send alert record:': ContentType.alert,
  'send change_cipher_spec record:': ContentType.change_cipher_spec,
};

/** A set of record keys and how many protected records it covers (the last one: all the rest). */
interface Epoch {
  keys: TrafficKeys;
  records: number;
}

/**
 * Walks one side's records in trace order. Plaintext records are rebuilt with plaintextRecord;
 * protected ones are sealed and opened with the keys of their epoch, sequence numbers counted
 * from zero by a fresh sealer and opener per epoch. All records, deframed from one stream fed a
 * byte at a time, come back whole.
 */
function checkRecords(
  t: ExecutionContext,
  tr: Trace,
  side: 'client' | 'server',
  epochs: Epoch[]
): void {
  const steps = tr.section.steps.filter((s) => s.side === side && s.action in RECORD_TYPES);
  let sealer: RecordSealer | undefined;
  let opener: RecordOpener | undefined;
  let epoch = -1;
  let leftInEpoch = 0;
  let protectedCount = 0;
  const wire: Buffer[] = [];

  for (const step of steps) {
    const payload = step.values.get('payload') as Buffer;
    const complete = step.values.get('complete record') as Buffer;
    const type = RECORD_TYPES[step.action];
    wire.push(complete);

    // change_cipher_spec stays in the clear in compatibility mode (RFC 8446, Section 5).
    if (complete[0] !== ContentType.application_data) {
      t.true(
        protectedCount === 0 || type === ContentType.change_cipher_spec,
        `${side}: plaintext record after keys are installed`
      );
      sameHex(
        t,
        Buffer.concat(plaintextRecord(type, payload, complete.readUInt16BE(1))),
        complete,
        `${side} plaintext record`
      );
      continue;
    }

    if (leftInEpoch === 0 && epoch < epochs.length - 1) {
      epoch++;
      leftInEpoch = epoch === epochs.length - 1 ? Infinity : epochs[epoch].records;
      sealer = new RecordSealer(provider, suite, epochs[epoch].keys);
      opener = new RecordOpener(provider, suite, epochs[epoch].keys);
    }
    leftInEpoch--;
    protectedCount++;
    const what = `${side} protected record ${protectedCount} (${step.action})`;
    const sealed = Buffer.concat((sealer as RecordSealer).seal(type, [payload], payload.length));
    sameHex(t, sealed, complete, what);
    const opened = (opener as RecordOpener).open(complete.subarray(0, 5), complete.subarray(5));
    t.is(opened.type, type, `${what}: content type`);
    sameHex(t, opened.content, payload, `${what}: content`);
  }
  t.is(epoch, epochs.length - 1, `${side} sent protected records under every key set`);

  const deframer = new Deframer();
  const stream = Buffer.concat(wire);
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) {
    deframer.push(stream.subarray(i, i + 1));
    for (let r = deframer.next(); r; r = deframer.next())
      out.push(Buffer.concat([r.header, r.fragment]));
  }
  t.deepEqual(
    out.map((b) => b.toString('hex')),
    wire.map((b) => b.toString('hex')),
    `${side} deframed records`
  );
  t.is(deframer.buffered, 0);
}

// ---------------------------------------------------------------------------------------------
// Section 4: the resumed handshake with 0-RTT, keyed by the ticket of section 3.

test('section 4: PSK key schedule, early data keys, Finished and every record match the trace', (t) => {
  const s3 = new Trace(3);
  const tr = new Trace(4);
  const check = checker(t, tr);
  const nst = decodeNewSessionTicket(body(s3.message('server', 'NewSessionTicket')));
  const psk = resumptionPsk(
    provider,
    suite,
    s3.value('client', 'derive secret "tls13 res master"', 'expanded'),
    nst.ticketNonce
  );
  const early = new EarlySecret(provider, suite, psk);
  check(early.earlySecret, 'client', 'extract secret "early"', 'secret');

  // The ClientHello in the transcript is the one sent, binders included.
  const clientHello = tr.value('client', 'send handshake record:', 'payload', 0);
  t.is(clientHello.length, 512);
  t.true(clientHello.subarray(0, 477).equals(tr.message('client', 'ClientHello')));
  const transcript = new Transcript(provider);
  transcript.add(clientHello);
  transcript.start(suite);
  const helloHash = transcript.hash();
  check(helloHash, 'client', 'derive secret "tls13 c e traffic"', 'hash');
  const clientEarly = deriveSecret(provider, suite, early.earlySecret, 'c e traffic', helloHash);
  check(clientEarly, 'client', 'derive secret "tls13 c e traffic"', 'expanded');
  check(
    deriveSecret(provider, suite, early.earlySecret, 'e exp master', helloHash),
    'client',
    'derive secret "tls13 e exp master"',
    'expanded'
  );
  const earlyKeys = trafficKeys(provider, suite, clientEarly);
  check(
    earlyKeys.key,
    'client',
    'derive write traffic keys for early application data',
    'key expanded'
  );
  check(
    earlyKeys.iv,
    'client',
    'derive write traffic keys for early application data',
    'iv expanded'
  );

  const shared = x25519Secret(
    tr.value('client', 'create an ephemeral', 'private key'),
    tr.value('client', 'create an ephemeral', 'public key'),
    tr.value('server', 'create an ephemeral', 'public key')
  );
  check(shared, 'server', 'extract secret "handshake"', 'IKM');
  const hs = early.handshakeSecret(shared);
  check(hs.handshakeSecret, 'server', 'extract secret "handshake"', 'secret');

  transcript.add(tr.message('server', 'ServerHello'));
  const hsTraffic = hs.trafficSecrets(transcript.hash());
  check(hsTraffic.client, 'server', 'derive secret "tls13 c hs traffic"', 'expanded');
  check(hsTraffic.server, 'server', 'derive secret "tls13 s hs traffic"', 'expanded');
  const master = hs.masterSecret();
  check(master.masterSecret, 'server', 'extract secret "master"', 'secret');

  // No Certificate or CertificateVerify: the PSK authenticates the server.
  transcript.add(tr.message('server', 'EncryptedExtensions'));
  check(
    verifyData(provider, suite, hsTraffic.server, transcript.hash()),
    'server',
    'calculate finished',
    'finished'
  );
  transcript.add(tr.message('server', 'Finished'));
  const app = master.applicationSecrets(transcript.hash());
  check(app.client, 'server', 'derive secret "tls13 c ap traffic"', 'expanded');
  check(app.server, 'server', 'derive secret "tls13 s ap traffic"', 'expanded');
  check(app.exporter, 'server', 'derive secret "tls13 exp master"', 'expanded');

  // EndOfEarlyData joins the transcript before the client Finished.
  const endOfEarlyData = tr.message('client', 'EndOfEarlyData');
  t.is(endOfEarlyData.toString('hex'), '05000000');
  transcript.add(endOfEarlyData);
  check(
    verifyData(provider, suite, hsTraffic.client, transcript.hash()),
    'client',
    'calculate finished',
    'finished'
  );
  transcript.add(tr.message('client', 'Finished'));
  check(
    master.resumptionMasterSecret(transcript.hash()),
    'client',
    'derive secret "tls13 res master"',
    'expanded'
  );

  const keys = (secret: Buffer): TrafficKeys => trafficKeys(provider, suite, secret);
  // Client: early data and EndOfEarlyData under the early keys, Finished under the handshake
  // keys, then application data and the alert.
  checkRecords(t, tr, 'client', [
    { keys: earlyKeys, records: 2 },
    { keys: keys(hsTraffic.client), records: 1 },
    { keys: keys(app.client), records: Infinity },
  ]);
  checkRecords(t, tr, 'server', [
    { keys: keys(hsTraffic.server), records: 1 },
    { keys: keys(app.server), records: Infinity },
  ]);
});

// ---------------------------------------------------------------------------------------------
// Every HKDF-Expand-Label step in the traces: the info our label code builds and its output.

class RecordingProvider extends NodeCryptoProvider {
  infos: Buffer[] = [];

  override hkdfExpand(
    hash: 'sha256' | 'sha384',
    prk: Buffer,
    info: Buffer,
    length: number
  ): Buffer {
    this.infos.push(Buffer.from(info));
    return super.hkdfExpand(hash, prk, info, length);
  }
}

test("every HKDF-Expand-Label step of sections 3 to 7 gives the trace's info and output", (t) => {
  let checked = 0;
  for (const n of [3, 4, 5, 6, 7]) {
    for (const step of new Trace(n).section.steps) {
      const v = step.values;
      const prk = v.get('PRK');
      if (!prk) continue;
      const recorder = new RecordingProvider();
      const where = `section ${n}, ${step.side} ${step.action}`;

      if (v.has('key expanded')) {
        const keys = trafficKeys(recorder, suite, prk);
        sameHex(t, keys.key, v.get('key expanded') as Buffer, `${where}: key`);
        sameHex(t, keys.iv, v.get('iv expanded') as Buffer, `${where}: iv`);
        sameHex(t, recorder.infos[0], v.get('key info') as Buffer, `${where}: key info`);
        sameHex(t, recorder.infos[1], v.get('iv info') as Buffer, `${where}: iv info`);
        checked++;
        continue;
      }

      // The PSK binder of section 4 is a Finished computed with the binder key.
      const label = step.action.startsWith('calculate PSK binder')
        ? 'finished'
        : /"tls13 ([^"]+)"/.exec(step.action)?.[1];
      if (!label || !v.has('expanded')) continue;
      const out = hkdfExpandLabel(
        recorder,
        suite.hash,
        prk,
        label,
        v.get('hash') as Buffer,
        (v.get('expanded') as Buffer).length
      );
      sameHex(t, out, v.get('expanded') as Buffer, `${where}: expanded`);
      sameHex(t, recorder.infos[0], v.get('info') as Buffer, `${where}: info`);
      checked++;
      const binderHash = v.get('binder hash');
      if (binderHash) {
        sameHex(
          t,
          verifyData(recorder, suite, prk, binderHash),
          v.get('finished') as Buffer,
          `${where}: binder`
        );
      }
    }
  }
  // 21 traffic key steps and 59 Derive-Secret / finished steps carry a PRK in the document.
  t.is(checked, 80, 'every step with a PRK was checked');
});

// ---------------------------------------------------------------------------------------------
// Resumption: the ticket of section 3 is the PSK of section 4.

test('section 3 ticket: resumption PSK matches, and is the early secret input of section 4', (t) => {
  const s3 = new Trace(3);
  const fromSection3 = checker(t, s3);
  const nst = decodeNewSessionTicket(body(s3.message('server', 'NewSessionTicket')));
  const resMaster = s3.value('client', 'derive secret "tls13 res master"', 'expanded');
  const psk = resumptionPsk(provider, suite, resMaster, nst.ticketNonce);
  fromSection3(psk, 'server', 'generate resumption secret', 'expanded');

  const s4 = new Trace(4);
  const fromSection4 = checker(t, s4);
  fromSection4(psk, 'client', 'extract secret "early"', 'IKM');
  const early = new EarlySecret(provider, suite, psk);
  fromSection4(early.earlySecret, 'client', 'extract secret "early"', 'secret');
  fromSection4(early.binderKey(true), 'client', 'calculate PSK binder', 'PRK');

  // The binder covers the ClientHello up to the binders list.
  const partial = new Transcript(provider);
  partial.add(s4.value('client', 'calculate PSK binder', 'ClientHello prefix'));
  partial.start(suite);
  const binderHash = partial.hash();
  fromSection4(binderHash, 'client', 'calculate PSK binder', 'binder hash');
  fromSection4(
    verifyData(provider, suite, early.binderKey(true), binderHash),
    'client',
    'calculate PSK binder',
    'finished'
  );
});

// ---------------------------------------------------------------------------------------------
// The decoders read the trace's messages, and the encoders write them back unchanged.

test('section 3: ClientHello decodes to its fields and extensions, and re-encodes', (t) => {
  const tr = new Trace(3);
  const check = checker(t, tr);
  const raw = tr.message('client', 'ClientHello');
  const ch = decodeClientHello(body(raw));
  t.is(ch.legacyVersion, 0x0303);
  sameHex(
    t,
    ch.random,
    Buffer.from('6660261ff947cea49cce6cfad687f457cf1b14531ba14131a0e8f309a1d0b9c4', 'hex'),
    'random'
  );
  t.is(ch.legacySessionId.length, 0);
  t.deepEqual(ch.cipherSuites, [0x1301, 0x1303, 0x1302]);
  sameHex(t, ch.legacyCompressionMethods, Buffer.of(0), 'compression methods');
  t.deepEqual(
    ch.extensions.map((e) => e.type),
    [0x0000, 0xff01, 0x000a, 0x0023, 0x0033, 0x002b, 0x000d, 0x002d, 0x001c]
  );

  const ext = (type: number): Buffer =>
    (ch.extensions.find((e) => e.type === type) as { data: Buffer }).data;
  t.deepEqual(serverNameList.decode(ext(0x0000)), ['server']);
  sameHex(t, serverNameList.encode('server'), ext(0x0000), 'server_name');
  const groups = [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104];
  t.deepEqual(namedGroupList.decode(ext(0x000a)), groups);
  sameHex(t, namedGroupList.encode(groups), ext(0x000a), 'supported_groups');
  const shares = keyShareClientHello.decode(ext(0x0033));
  t.is(shares.length, 1);
  t.is(shares[0].group, 0x001d);
  check(shares[0].keyExchange, 'client', 'create an ephemeral', 'public key');
  sameHex(t, keyShareClientHello.encode(shares), ext(0x0033), 'key_share');
  t.deepEqual(supportedVersionsList.decode(ext(0x002b)), [0x0304]);
  sameHex(t, supportedVersionsList.encode([0x0304]), ext(0x002b), 'supported_versions');
  const schemes = [
    0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201, 0x0402,
    0x0502, 0x0602, 0x0202,
  ];
  t.deepEqual(signatureSchemeList.decode(ext(0x000d)), schemes);
  sameHex(t, signatureSchemeList.encode(schemes), ext(0x000d), 'signature_algorithms');
  t.deepEqual(pskKeyExchangeModes.decode(ext(0x002d)), [1]);
  sameHex(t, pskKeyExchangeModes.encode([1]), ext(0x002d), 'psk_key_exchange_modes');

  sameHex(t, encodeClientHello(ch), raw, 'ClientHello re-encoded');
});

test('section 3: ServerHello, EncryptedExtensions, Certificate, CertificateVerify, Finished, NewSessionTicket', (t) => {
  const tr = new Trace(3);
  const check = checker(t, tr);

  const shRaw = tr.message('server', 'ServerHello');
  const sh = decodeServerHello(body(shRaw));
  t.is(sh.legacyVersion, 0x0303);
  t.is(sh.cipherSuite, 0x1301);
  t.is(sh.legacyCompressionMethod, 0);
  t.is(sh.legacySessionId.length, 0);
  t.deepEqual(
    sh.extensions.map((e) => e.type),
    [0x0033, 0x002b]
  );
  const share = keyShareServerHello.decode(sh.extensions[0].data);
  t.is(share.group, 0x001d);
  check(share.keyExchange, 'server', 'create an ephemeral', 'public key');
  sameHex(t, keyShareServerHello.encode(share), sh.extensions[0].data, 'key_share re-encoded');
  t.is(supportedVersionSelected.decode(sh.extensions[1].data), 0x0304);
  sameHex(t, supportedVersionSelected.encode(0x0304), sh.extensions[1].data, 'supported_versions');
  sameHex(t, encodeServerHello(sh), shRaw, 'ServerHello re-encoded');

  const eeRaw = tr.message('server', 'EncryptedExtensions');
  const ee = decodeEncryptedExtensions(body(eeRaw));
  t.deepEqual(
    ee.extensions.map((e) => e.type),
    [0x000a, 0x001c, 0x0000]
  );
  t.deepEqual(
    namedGroupList.decode(ee.extensions[0].data),
    [0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104]
  );
  sameHex(t, ee.extensions[1].data, Buffer.from('4001', 'hex'), 'record_size_limit');
  t.is(empty.decode(ee.extensions[2].data, 'server_name'), undefined);
  sameHex(t, encodeEncryptedExtensions(ee), eeRaw, 'EncryptedExtensions re-encoded');

  const certRaw = tr.message('server', 'Certificate');
  const cert = decodeCertificate(body(certRaw));
  t.is(cert.certificateRequestContext.length, 0);
  t.is(cert.certificateList.length, 1);
  t.is(cert.certificateList[0].certData.length, 432);
  t.deepEqual(cert.certificateList[0].extensions, []);
  const x509 = new crypto.X509Certificate(cert.certificateList[0].certData);
  t.is(x509.subject, 'CN=rsa');
  sameHex(t, encodeCertificate(cert), certRaw, 'Certificate re-encoded');

  const cvRaw = tr.message('server', 'CertificateVerify');
  const cv = decodeCertificateVerify(body(cvRaw));
  t.is(cv.algorithm, 0x0804);
  t.is(cv.signature.length, 128);
  sameHex(t, encodeCertificateVerify(cv), cvRaw, 'CertificateVerify re-encoded');

  const finRaw = tr.message('server', 'Finished');
  const fin = decodeFinished(body(finRaw), 32);
  check(fin.verifyData, 'server', 'calculate finished', 'finished');
  sameHex(t, encodeFinished(fin), finRaw, 'Finished re-encoded');

  const nstRaw = tr.message('server', 'NewSessionTicket');
  const nst = decodeNewSessionTicket(body(nstRaw));
  t.is(nst.ticketLifetime, 30);
  t.is(nst.ticketAgeAdd, 0x933d0932);
  sameHex(t, nst.ticketNonce, Buffer.of(0, 0), 'ticket_nonce');
  t.is(nst.ticket.length, 178);
  t.deepEqual(
    nst.extensions.map((e) => [e.type, e.data.toString('hex')]),
    [[0x002a, '00000400']]
  );
  sameHex(t, encodeNewSessionTicket(nst), nstRaw, 'NewSessionTicket re-encoded');
});

test('section 5: HelloRetryRequest and both ClientHellos decode and re-encode', (t) => {
  const tr = new Trace(5);
  const check = checker(t, tr);
  const ch1Raw = tr.message('client', 'ClientHello', 0);
  const ch2Raw = tr.message('client', 'ClientHello', 1);
  const hrrRaw = tr.message('server', 'ServerHello', 0);

  const hrr = decodeServerHello(body(hrrRaw));
  sameHex(t, hrr.random, HELLO_RETRY_REQUEST_RANDOM, 'HelloRetryRequest random');
  t.is(hrr.cipherSuite, 0x1301);
  t.deepEqual(
    hrr.extensions.map((e) => e.type),
    [0x0033, 0x002c, 0x002b]
  );
  t.is(keyShareHelloRetryRequest.decode(hrr.extensions[0].data), 0x0017);
  sameHex(t, keyShareHelloRetryRequest.encode(0x0017), hrr.extensions[0].data, 'HRR key_share');
  const cookieValue = cookie.decode(hrr.extensions[1].data);
  t.is(cookieValue.length, 0x72);
  sameHex(t, cookie.encode(cookieValue), hrr.extensions[1].data, 'cookie');
  sameHex(t, encodeServerHello(hrr), hrrRaw, 'HelloRetryRequest re-encoded');

  const ch1 = decodeClientHello(body(ch1Raw));
  const ch2 = decodeClientHello(body(ch2Raw));
  sameHex(t, ch2.random, ch1.random, 'second ClientHello keeps the random');
  const share2 = keyShareClientHello.decode(
    (ch2.extensions.find((e) => e.type === 0x0033) as { data: Buffer }).data
  );
  t.deepEqual(
    share2.map((s) => s.group),
    [0x0017]
  );
  check(share2[0].keyExchange, 'client', 'create an ephemeral', 'public key', 1);
  const echoed = ch2.extensions.find((e) => e.type === 0x002c) as { data: Buffer };
  sameHex(t, cookie.decode(echoed.data), cookieValue, 'cookie echoed');
  // The second ClientHello is padded to 512 bytes with the padding extension (21).
  t.is(ch2.extensions[ch2.extensions.length - 1].type, 0x0015);
  sameHex(t, encodeClientHello(ch1), ch1Raw, 'ClientHello1 re-encoded');
  sameHex(t, encodeClientHello(ch2), ch2Raw, 'ClientHello2 re-encoded');
});

test('section 5: replaceWithMessageHash gives the synthetic message_hash transcript', (t) => {
  const tr = new Trace(5);
  const check = checker(t, tr);
  const ch1 = tr.message('client', 'ClientHello', 0);
  const transcript = new Transcript(provider);
  transcript.add(ch1);
  transcript.replaceWithMessageHash(suite);
  const synthetic = Buffer.concat([
    Buffer.of(254, 0, 0, 32),
    crypto.createHash('sha256').update(ch1).digest(),
  ]);
  sameHex(
    t,
    transcript.hash(),
    crypto.createHash('sha256').update(synthetic).digest(),
    'message_hash alone'
  );

  for (const raw of [
    tr.message('server', 'ServerHello', 0),
    tr.message('client', 'ClientHello', 1),
    tr.message('server', 'ServerHello', 1),
  ]) {
    transcript.add(raw);
  }
  check(transcript.hash(), 'server', 'derive secret "tls13 c hs traffic"', 'hash');

  // Without the replacement the hash would differ: the trace really depends on message_hash.
  const plain = new Transcript(provider);
  plain.start(suite);
  for (const raw of [
    ch1,
    tr.message('server', 'ServerHello', 0),
    tr.message('client', 'ClientHello', 1),
    tr.message('server', 'ServerHello', 1),
  ]) {
    plain.add(raw);
  }
  t.not(plain.hash().toString('hex'), transcript.hash().toString('hex'));
});

test('section 6: CertificateRequest and both certificates decode and re-encode', (t) => {
  const tr = new Trace(6);
  const crRaw = tr.message('server', 'CertificateRequest');
  const cr = decodeCertificateRequest(body(crRaw));
  t.is(cr.certificateRequestContext.length, 0);
  t.deepEqual(
    cr.extensions.map((e) => e.type),
    [0x000d]
  );
  t.deepEqual(
    signatureSchemeList.decode(cr.extensions[0].data),
    [
      0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201,
      0x0402, 0x0502, 0x0602, 0x0202,
    ]
  );
  sameHex(t, encodeCertificateRequest(cr), crRaw, 'CertificateRequest re-encoded');

  for (const [side, subject, algorithm] of [
    ['server', 'CN=ecdsa256', 0x0403],
    ['client', 'CN=client', 0x0804],
  ] as const) {
    const certRaw = tr.message(side, 'Certificate');
    const cert = decodeCertificate(body(certRaw));
    t.is(new crypto.X509Certificate(cert.certificateList[0].certData).subject, subject);
    sameHex(t, encodeCertificate(cert), certRaw, `${side} Certificate re-encoded`);
    const cvRaw = tr.message(side, 'CertificateVerify');
    const cv = decodeCertificateVerify(body(cvRaw));
    t.is(cv.algorithm, algorithm);
    sameHex(t, encodeCertificateVerify(cv), cvRaw, `${side} CertificateVerify re-encoded`);
  }
  t.is(schemeByName('rsa_pss_rsae_sha256')?.code, 0x0804);
});

const CODECS: Record<
  number,
  { name: string; decode: (body: Buffer) => unknown; encode: (m: never) => Buffer }
> = {
  1: { name: 'ClientHello', decode: decodeClientHello, encode: encodeClientHello },
  2: { name: 'ServerHello', decode: decodeServerHello, encode: encodeServerHello },
  4: { name: 'NewSessionTicket', decode: decodeNewSessionTicket, encode: encodeNewSessionTicket },
  8: {
    name: 'EncryptedExtensions',
    decode: decodeEncryptedExtensions,
    encode: encodeEncryptedExtensions,
  },
  11: { name: 'Certificate', decode: decodeCertificate, encode: encodeCertificate },
  13: {
    name: 'CertificateRequest',
    decode: decodeCertificateRequest,
    encode: encodeCertificateRequest,
  },
  15: {
    name: 'CertificateVerify',
    decode: decodeCertificateVerify,
    encode: encodeCertificateVerify,
  },
  20: { name: 'Finished', decode: (b) => decodeFinished(b, 32), encode: encodeFinished },
};

test('every handshake message sent in sections 3 to 7 decodes and re-encodes to the same bytes', (t) => {
  const seen = new Map<string, number>();
  for (const n of [3, 4, 5, 6, 7]) {
    const tr = new Trace(n);
    for (const side of ['client', 'server'] as const) {
      for (const step of tr.steps(side, 'send handshake record:')) {
        const payload = step.values.get('payload') as Buffer;
        // A record may carry several messages: walk their headers.
        for (let at = 0; at < payload.length;) {
          const type = payload[at];
          const length = payload.readUIntBE(at + 1, 3);
          const raw = payload.subarray(at, at + 4 + length);
          at += 4 + length;
          if (type === 5) {
            t.is(length, 0, 'EndOfEarlyData is empty');
            continue;
          }
          const codec = CODECS[type];
          if (!codec) return t.fail(`section ${n}: unexpected handshake type ${type}`);
          const where = `section ${n}, ${side} ${codec.name}`;
          const decoded = codec.decode(raw.subarray(4));
          sameHex(t, codec.encode(decoded as never), raw, where);
          seen.set(codec.name, (seen.get(codec.name) ?? 0) + 1);
        }
      }
    }
  }
  // Each section's ClientHello and ServerHello (two of each in section 5), every server flight,
  // the client Finished of each section and the two client Certificates of section 6.
  t.deepEqual(Object.fromEntries([...seen].sort()), {
    Certificate: 5,
    CertificateRequest: 1,
    CertificateVerify: 5,
    ClientHello: 6,
    EncryptedExtensions: 5,
    Finished: 10,
    NewSessionTicket: 1,
    ServerHello: 6,
  });
});

test('section 4: the resumed ClientHello carries pre_shared_key last, and the ServerHello selects identity 0', (t) => {
  const tr = new Trace(4);
  const ch = decodeClientHello(body(tr.value('client', 'send handshake record:', 'payload', 0)));
  const last = ch.extensions[ch.extensions.length - 1];
  t.is(last.type, 0x0029);
  t.deepEqual(
    ch.extensions.map((e) => e.type).filter((type) => type === 0x002a),
    [0x002a]
  );
  const sh = decodeServerHello(body(tr.message('server', 'ServerHello')));
  const psk = sh.extensions.find((e) => e.type === 0x0029);
  t.is(psk?.data.toString('hex'), '0000');
});

test('the parser found the sections, steps and values it needs', (t) => {
  const sections = loadTraces();
  t.is(sections.get(3)?.title, 'Simple 1-RTT Handshake');
  t.is(sections.get(5)?.title, 'HelloRetryRequest');
  t.is(sections.get(6)?.title, 'Client Authentication');
  const s3 = new Trace(3);
  // A value split by a page break (Certificate runs over pages 6 and 7) comes back whole.
  t.is(s3.message('server', 'Certificate').length, 445);
  t.is(s3.message('server', 'Certificate').subarray(-2).toString('hex'), '0000');
  // A step description wrapped over two lines is joined.
  t.is(
    s3.step('client', 'extract secret "handshake"').action,
    'extract secret "handshake" (same as server handshake secret)'
  );
  // No page header or footer text survives inside any value's step list.
  for (const section of sections.values()) {
    for (const step of section.steps) t.false(/Thomson|Internet-Draft/.test(step.action));
  }
});
