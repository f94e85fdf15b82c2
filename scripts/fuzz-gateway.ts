/**
 * `npx tsx scripts/fuzz-gateway.ts [count] [seed]`: starts the whole graph in
 * this process (three subgraphs on in-memory PGlite, seeded, and the gateway,
 * as the end-to-end tests do), sends `count` (default 20,000) generated hostile
 * requests to the gateway (packages/test-support/hostileRequests.ts: malformed JSON,
 * wrong transports, oversized and pathological documents, forged tokens,
 * explicit nulls and coerced variables over POST, GET and APQ, ...),
 * and checks every answer against the wire contract: no 5xx but a 503 with
 * Retry-After, a JSON body with data or errors, every error coded from the
 * catalog with its gRPC number and the request id, no stack trace. Prints
 * progress every 1,000 requests, then counts by family, status and code, and
 * the violations; exits 1 if there was any (or any INTERNAL/UNKNOWN error),
 * 0 otherwise. The same seed sends the same requests.
 *
 * Environment: HOSTILE_SEED (default 20261130), FUZZ_BACKEND=pglite|postgres
 * (default pglite; postgres uses TEST_DATABASE_URL), FUZZ_CONCURRENCY (default 4),
 * FUZZ_DEADLINE_MS (default 30 minutes: past it the run is abandoned, exit 2).
 */
import type { Backend } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import {
  apqRegistrationRequests,
  formatViolations,
  hostileRequests,
  runHostileRequests,
} from '@car-check/test-support/hostileRequests';
import { sendRaw } from '@car-check/test-support/rawHttp';

const DEFAULT_COUNT = 20_000;
const DEFAULT_SEED = 20261130;

function positiveInteger(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${what} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return value;
}

async function main(): Promise<number> {
  const count = positiveInteger(process.argv[2], DEFAULT_COUNT, 'count');
  const seed = positiveInteger(process.argv[3] ?? process.env.HOSTILE_SEED, DEFAULT_SEED, 'seed');
  const concurrency = Math.max(1, positiveInteger(process.env.FUZZ_CONCURRENCY, 4, 'FUZZ_CONCURRENCY'));
  const backend: Backend = process.env.FUZZ_BACKEND === 'postgres' ? 'postgres' : 'pglite';

  const deadlineMs = positiveInteger(process.env.FUZZ_DEADLINE_MS, 30 * 60_000, 'FUZZ_DEADLINE_MS');
  const watchdog = setTimeout(() => {
    console.error(`fuzz-gateway: no result within ${deadlineMs} ms; giving up.`);
    process.exit(2);
  }, deadlineMs);
  watchdog.unref();

  console.log(`starting the graph (${backend})...`);
  let graph: TestGraph | undefined;
  try {
    graph = await startGraph(backend, { seed: true, gatewayEnv: { RATE_LIMIT_PER_MINUTE: '1000000' } });
    const tokens: Record<string, string> = {};
    for (const username of ['admin', 'manager', 'viewer']) tokens[username] = await graph.login(username);
    for (const request of apqRegistrationRequests()) {
      const response = await sendRaw(graph.gatewayUrl, request);
      // 294: registered, with a denied field (anonymous) beside the data.
      if (response.status !== 200 && response.status !== 294)
        throw new Error(`registering a persisted query failed: HTTP ${response.status} ${response.text.slice(0, 200)}`);
    }

    console.log(
      `gateway at ${graph.gatewayUrl}; sending ${count} hostile requests (seed ${seed}, ${concurrency} at a time)`,
    );
    const started = performance.now();
    const summary = await runHostileRequests(graph.gatewayUrl, hostileRequests(count, seed, { tokens }), {
      concurrency,
      timeoutMs: 20_000,
      onProgress: (done) => {
        if (done % 1000 === 0 || done === count) {
          const seconds = (performance.now() - started) / 1000;
          console.log(`  ${done}/${count} in ${seconds.toFixed(1)} s (${Math.round(done / seconds)}/s)`);
        }
      },
    });

    // The gateway must still serve normally afterwards.
    const after = await graph.anonymous('{ __typename }');
    const health = await sendRaw(graph.gatewayUrl, { method: 'GET', path: '/health' });
    const stillServing =
      after.status === 200 &&
      (after.data as { __typename?: string } | undefined)?.__typename === 'Query' &&
      health.status === 200;

    const table = (counts: Record<string, number>) =>
      Object.entries(counts)
        .sort(([, a], [, b]) => b - a)
        .map(([key, n]) => `    ${key.padEnd(28)} ${n}`)
        .join('\n');
    const internal = summary.notable.filter((n) => n.problems.some((p) => p.startsWith('INTERNAL')));
    const unavailable = summary.notable.filter((n) => !internal.includes(n));
    console.log(`\nsent ${summary.sent} in ${(summary.elapsedMs / 1000).toFixed(1)} s`);
    console.log(`  by family:\n${table(summary.byFamily)}`);
    console.log(`  by HTTP status:\n${table(summary.byStatus)}`);
    console.log(`  by error code:\n${table(summary.byCode)}`);
    console.log(`  slowest: ${summary.slowest.map((s) => `${s.ms} ms [${s.family}] ${s.description}`).join('; ')}`);
    if (unavailable.length > 0)
      console.log(
        `\n${unavailable.length} answers were 503 with Retry-After (allowed):\n${formatViolations(unavailable, 10)}`,
      );
    if (internal.length > 0)
      console.log(
        `\n${internal.length} answers carried INTERNAL/UNKNOWN errors (a bug, by the catalog):\n${formatViolations(internal, 50)}`,
      );
    console.log(
      `\n${summary.violations.length} violations${summary.violations.length ? ` (first 50):\n${formatViolations(summary.violations, 50)}` : '.'}`,
    );
    if (!stillServing)
      console.log(
        `\nthe gateway no longer serves normally: { __typename } → HTTP ${after.status}, /health → HTTP ${health.status}`,
      );

    return summary.violations.length === 0 && internal.length === 0 && stillServing ? 0 : 1;
  } finally {
    await graph
      ?.stop()
      .catch((error: unknown) =>
        console.error(`stopping the graph failed: ${error instanceof Error ? error.message : String(error)}`),
      );
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`fuzz-gateway failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
