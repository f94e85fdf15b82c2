/**
 * The community federation benchmark fixture (graphql-hive/graphql-gateways-benchmark):
 * the exact query its k6 script sends, the exact request body, the expected
 * response, and its supergraph with the subgraph URLs swapped for ours.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SubgraphName } from './subgraphs';

// The benchmark's own files, kept byte for byte as it publishes them (vendor/README.md).
const here = join(__dirname, 'vendor');

/** The query text exactly as k6.js sends it (964 bytes, no trailing newline). */
export const QUERY = readFileSync(join(here, 'query.graphql'), 'utf8');

/** The exact POST body k6.js sends: `JSON.stringify({ query })`, `Content-Type: application/json`. */
export const REQUEST_BODY = readFileSync(join(here, 'request.json'), 'utf8');

/**
 * `JSON.stringify` of the response k6.js checks (`expectedStructure`), 87,599 bytes,
 * no trailing newline. Apollo Server's HTTP body is these bytes plus "\n".
 */
export const EXPECTED = readFileSync(join(here, 'expected.json'));
export const EXPECTED_BYTES = 87_599;

/** The benchmark's committed supergraph, routing URLs `http://0.0.0.0:4200/<name>`. */
export const SUPERGRAPH_TEMPLATE = readFileSync(join(here, 'supergraph.graphql'), 'utf8');

/** The supergraph with each `@join__graph(name: "<name>", url: ...)` pointed at `urls[name]`. */
export function supergraphWithUrls(urls: Record<SubgraphName, string>): string {
  let sdl = SUPERGRAPH_TEMPLATE;
  for (const [name, url] of Object.entries(urls)) {
    const pattern = new RegExp(`(@join__graph\\(name: "${name}", url: )"[^"]*"`);
    if (!pattern.test(sdl)) throw new Error(`supergraph has no join__graph named ${name}`);
    sdl = sdl.replace(pattern, `$1${JSON.stringify(url)}`);
  }
  return sdl;
}

/** First byte offset where `a` and `b` differ, or -1 if they are identical. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
