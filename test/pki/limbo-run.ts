// Runs the x509-limbo cases through verifyCertificateChain; shared by the test and by hand.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { verifyCertificateChain } from '../../lib/pki/chain';

export const LIMBO_PATH = join(__dirname, '..', '..', '..', 'shared', 'x509-limbo', 'limbo.json');

interface LimboCase {
  id: string;
  features?: string[];
  validation_kind: 'SERVER' | 'CLIENT';
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  validation_time: string | null;
  expected_result: 'SUCCESS' | 'FAILURE';
  expected_peer_name: { kind: string; value: string } | null;
  max_chain_depth: number | null;
  conflicts_with?: string[];
}

export interface LimboOutcome {
  id: string;
  /** The result our profile expects: limbo's, or for a case in conflict with a webpki:: one, the
   * opposite, since the Web PKI reading is ours. */
  expected: string;
  limboExpected: string;
  actual: string;
  detail: string;
}

export function limboAvailable(): boolean {
  return existsSync(LIMBO_PATH);
}

/** Every case that needs no CRL, with what we decided. */
export function runLimbo(): LimboOutcome[] {
  const suite = JSON.parse(readFileSync(LIMBO_PATH, 'utf8')) as { testcases: LimboCase[] };
  const byId = new Map(suite.testcases.map((c) => [c.id, c]));
  const ours = (c: LimboCase): string => {
    if (c.id.startsWith('webpki::')) return c.expected_result;
    const rival = (c.conflicts_with ?? []).map((id) => byId.get(id)).find((r) => r?.id.startsWith('webpki::'));
    return rival ? rival.expected_result : c.expected_result;
  };
  return suite.testcases
    .filter((c) => !(c.features ?? []).includes('has-crl'))
    .map((c) => {
      const name = c.expected_peer_name;
      const result = verifyCertificateChain({
        leaf: c.peer_certificate,
        intermediates: c.untrusted_intermediates,
        trusted: c.trusted_certs,
        time: c.validation_time ? new Date(c.validation_time) : undefined,
        name: name && (name.kind === 'DNS' || name.kind === 'IP') ? name.value : undefined,
        purpose: c.validation_kind === 'SERVER' ? 'server' : 'client',
        maxDepth: c.max_chain_depth ?? undefined,
      });
      const actual = result.ok ? 'SUCCESS' : 'FAILURE';
      const detail = result.ok ? `chain of ${result.chain.length}` : `${result.code}: ${result.reason}`;
      return { id: c.id, expected: ours(c), limboExpected: c.expected_result, actual, detail };
    });
}

if (require.main === module) {
  const outcomes = runLimbo();
  const wrong = outcomes.filter((o) => o.expected !== o.actual);
  for (const o of outcomes) {
    const mark = o.expected === o.actual ? 'ok  ' : 'FAIL';
    if (process.argv.includes('-v') || mark === 'FAIL') console.log(
      mark,
      o.id,
      o.expected,
      o.detail,
    );
  }
  console.log(`${outcomes.length - wrong.length}/${outcomes.length} right`);
}
