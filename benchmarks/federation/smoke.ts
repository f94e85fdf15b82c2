/**
 * `npx tsx benchmarks/federation/smoke.ts` (from the repo root)
 *
 * Smoke test of the community federation benchmark fixture:
 * 1. composes the four subgraph SDLs with @apollo/composition and checks the
 *    result is the committed supergraph.graphql (modulo routing URLs);
 * 2. starts the four subgraphs on free ports and a stock ApolloGateway +
 *    ApolloServer (startStandaloneServer) over them;
 * 3. POSTs the exact k6 request once and asserts the response payload equals
 *    expected.json byte for byte (Apollo Server appends one "\n"), printing the
 *    first differing offset otherwise;
 * 4. prints subgraph calls per request, then stops everything.
 * Exits non-zero on any mismatch.
 */
import { composeServices } from '@apollo/composition';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { parse, print } from 'graphql';
import { startStandaloneServer } from '@apollo/server/standalone';
import {
  EXPECTED,
  EXPECTED_BYTES,
  REQUEST_BODY,
  SUPERGRAPH_TEMPLATE,
  firstDifference,
  supergraphWithUrls,
} from './fixture';
import { SUBGRAPH_NAMES, resetSubgraphCalls, startAllSubgraphs, subgraphCalls, totalSubgraphCalls } from './subgraphs';
import * as accounts from './subgraphs/accounts';
import * as inventory from './subgraphs/inventory';
import * as products from './subgraphs/products';
import * as reviews from './subgraphs/reviews';

const failures: string[] = [];

function checkComposition(): void {
  const modules = { accounts, inventory, products, reviews };
  const result = composeServices(
    SUBGRAPH_NAMES.map((name) => ({ name, typeDefs: modules[name].typeDefs, url: `http://0.0.0.0:4200/${name}` })),
  );
  if (result.errors) {
    failures.push(`composition failed: ${result.errors.map((e) => e.message).join('; ')}`);
    return;
  }
  // The committed file is prettier-formatted; compare after graphql-js normalises both.
  const composed = print(parse(result.supergraphSdl));
  const committed = print(parse(SUPERGRAPH_TEMPLATE));
  if (composed === committed) {
    console.log(
      'composition: our subgraph SDLs compose to the committed supergraph.graphql (same document after print(parse()))',
    );
  } else {
    const at = firstDifference(Buffer.from(composed), Buffer.from(committed));
    failures.push(`composed supergraph differs from supergraph.graphql at offset ${at}`);
    console.log('composed supergraph near the difference:\n' + composed.slice(Math.max(0, at - 200), at + 200));
  }
}

function describeDifference(actual: Buffer, expected: Buffer): string {
  const at = firstDifference(actual, expected);
  const window = (b: Buffer) => JSON.stringify(b.subarray(Math.max(0, at - 60), at + 60).toString('utf8'));
  return `first difference at byte ${at} (actual ${actual.length} bytes, expected ${expected.length})\n  actual:   ${window(actual)}\n  expected: ${window(expected)}`;
}

async function main(): Promise<void> {
  if (EXPECTED.length !== EXPECTED_BYTES)
    failures.push(`expected.json is ${EXPECTED.length} bytes, not ${EXPECTED_BYTES}`);
  checkComposition();

  const subgraphs = await startAllSubgraphs();
  let server: ApolloServer | undefined;
  try {
    const gateway = new ApolloGateway({ supergraphSdl: supergraphWithUrls(subgraphs.urls) });
    server = new ApolloServer({ gateway });
    const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
    console.log(`gateway ${url}; subgraphs ${SUBGRAPH_NAMES.map((n) => `${n}=${subgraphs.urls[n]}`).join(' ')}`);

    resetSubgraphCalls();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: REQUEST_BODY,
    });
    const body = Buffer.from(await res.arrayBuffer());
    const calls = { ...subgraphCalls };

    if (res.status !== 200) failures.push(`HTTP ${res.status}`);
    // Apollo Server serialises with JSON.stringify(result) + "\n"; the payload before it must match exactly.
    const trailingNewline = body.length > 0 && body[body.length - 1] === 0x0a;
    const payload = trailingNewline ? body.subarray(0, body.length - 1) : body;
    if (payload.equals(EXPECTED)) {
      console.log(
        `response: ${body.length} bytes = expected.json (${EXPECTED.length} bytes)` +
          (trailingNewline ? ' + trailing "\\n" added by Apollo Server' : '') +
          ' - byte-for-byte identical',
      );
    } else {
      failures.push(`response payload differs from expected.json: ${describeDifference(payload, EXPECTED)}`);
      try {
        const parsed: unknown = JSON.parse(payload.toString('utf8'));
        const reparsed = Buffer.from(JSON.stringify(parsed));
        const sameSemantics = JSON.stringify(parsed) === JSON.stringify(JSON.parse(EXPECTED.toString('utf8')));
        console.log(`  (re-serialised: ${reparsed.length} bytes; same values in same key order: ${sameSemantics})`);
      } catch {
        console.log('  (response is not JSON)');
      }
    }

    const total = totalSubgraphCalls();
    console.log(`subgraph calls per request: ${total} (${SUBGRAPH_NAMES.map((n) => `${n} ${calls[n]}`).join(', ')})`);
  } finally {
    await server?.stop();
    await subgraphs.close();
  }

  if (failures.length > 0) {
    console.error(`SMOKE FAILED:\n- ${failures.join('\n- ')}`);
    process.exitCode = 1;
  } else {
    console.log('SMOKE OK');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
