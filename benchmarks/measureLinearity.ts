/**
 * How the gateway's checks of an operation scale with its size: for hostile
 * families of documents from 1 KB up to the 1 MB body limit, the time of the
 * nesting scan, the parse and the measure, per kilobyte. Linear work shows as
 * a flat µs/KB column; anything super-linear would grow down the column.
 * The parse runs without the token limit here, so the measure sees the
 * whole document; the last column is what a request actually costs with the
 * default limits (refused at the token limit).
 *
 *   npm run bench:limits
 */
import os from 'node:os';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getOperationAST, parse } from 'graphql';
import { loadGatewayConfig } from '../gateway/src/config';
import { measureOperation } from '../gateway/src/limits/measure';
import { Documents } from '../gateway/src/pipeline/documentStore';
import { graphqlNesting } from '../gateway/src/pipeline/nesting';
import { sha256Hex } from '@car-check/service-kit';
import { Refusal } from '../gateway/src/pipeline/refusal';
import { servedSchemaOf } from '../gateway/src/supergraph/servedSchema';

const SIZES_KB = [1, 4, 16, 64, 256, 1000];

/** Each family grows its document to about `bytes`. */
const FAMILIES: Record<string, (bytes: number) => string> = {
  'alias bomb': (bytes) =>
    `{ ${Array.from({ length: Math.ceil(bytes / 16) }, (_, i) => `a${i}: __typename`).join(' ')} }`,
  // 60 levels (under the fragment nesting limit), each spreading the previous one twice, with growing bodies.
  'fragment chain (x2 per level)': (bytes) => {
    const fields = Array.from({ length: Math.max(1, Math.floor(bytes / 60 / 20)) }, (_, i) => `f${i}: __typename`).join(
      ' ',
    );
    let query = `query { ...F60 } fragment F0 on Query { me { id } }`;
    for (let i = 1; i <= 60; i++) query += ` fragment F${i} on Query { ...F${i - 1} ...F${i - 1} ${fields} }`;
    return query;
  },
  'wide connections': (bytes) => {
    const one = 'cars(first: 100) { edges { node { id brand costCenter { code } } } } ';
    return `{ ${Array.from({ length: Math.ceil(bytes / (one.length + 6)) }, (_, i) => `c${i}: ${one}`).join('')} }`;
  },
  'many fragments spread everywhere': (bytes) => {
    const count = Math.ceil(Math.sqrt(bytes / 12));
    const spreads = Array.from({ length: count }, (_, i) => `...G${i}`).join(' ');
    let query = `{ cars { edges { node { ${spreads} } } } }`;
    for (let i = 0; i < count; i++) query += ` fragment G${i} on Car { id brand }`;
    return query;
  },
};

const supergraph = readFileSync(path.resolve(__dirname, '..', 'supergraph.graphql'), 'utf8');
const config = loadGatewayConfig({});
const served = servedSchemaOf(supergraph, config.queryLimits.defaultListSize);

function timeMs(work: () => void, minMs = 200): number {
  let runs = 0;
  const started = performance.now();
  do {
    work();
    runs++;
  } while (performance.now() - started < minMs);
  return (performance.now() - started) / runs;
}

console.log(
  `bench:limits on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(
  'family                            size KB   scan µs/KB  parse µs/KB  measure µs/KB   measured fields   admitted in ms (default limits)',
);
for (const [family, make] of Object.entries(FAMILIES)) {
  for (const kb of SIZES_KB) {
    const query = make(kb * 1024);
    const actualKb = query.length / 1024;
    const scan = timeMs(() => graphqlNesting(query));
    let document = parse(query, { noLocation: true });
    const parseMs = timeMs(() => {
      document = parse(query, { noLocation: true });
    });
    const operation = getOperationAST(document)!;
    let fields = 0;
    const measureMs = timeMs(() => {
      fields = measureOperation(served.schema, served.costModel, document, operation).fields;
    });
    const documents = new Documents({ limits: config.queryLimits, introspection: true, cacheBytes: 1 });
    const text = { query, hash: sha256Hex(query), registers: false };
    const admitMs = timeMs(() => {
      try {
        documents.admit(text, undefined, 'POST', {}, served);
      } catch (error) {
        if (!(error instanceof Refusal)) throw error;
      }
    });
    const perKb = (ms: number) => ((ms * 1000) / actualKb).toFixed(2).padStart(11);
    console.log(
      `${family.padEnd(33)} ${actualKb.toFixed(0).padStart(7)} ${perKb(scan)}  ${perKb(parseMs)}  ${perKb(measureMs)}   ${String(fields.toPrecision(3)).padStart(15)}   ${admitMs.toFixed(3).padStart(10)}`,
    );
  }
}
console.log(
  `load average after: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
