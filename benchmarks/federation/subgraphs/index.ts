/**
 * Starts the four community-benchmark subgraphs (accounts, inventory, products,
 * reviews) as plain `node:http` servers in front of `@apollo/server`'s
 * `executeHTTPGraphQLRequest`: no Express, no CORS/body-parser middleware, and
 * the plugins Apollo Server would otherwise add (landing page, cache control,
 * inline tracing for subgraphs) disabled, so the subgraphs cost as little CPU
 * as possible next to the gateway under test.
 *
 *   const sg = await startSubgraph('accounts', 0); // 0 = any free port
 *   sg.url   // http://127.0.0.1:<port>/graphql
 *   await sg.close();
 *
 * Every POST a subgraph receives is counted in `subgraphCalls[name]`, so a
 * runner can report "subgraph calls per gateway request". When the subgraphs
 * run in their own process (`serve.ts`), `GET /calls` on a subgraph's port
 * returns `{"name","calls"}` and `DELETE /calls` resets it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { DocumentNode } from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import * as accounts from './accounts';
import * as inventory from './inventory';
import * as products from './products';
import * as reviews from './reviews';

export const SUBGRAPH_NAMES = ['accounts', 'inventory', 'products', 'reviews'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

const MODULES: Record<SubgraphName, { typeDefs: DocumentNode; resolvers: GraphQLResolverMap<unknown> }> = {
  accounts,
  inventory,
  products,
  reviews,
};

/** Requests received per subgraph (POSTs to the GraphQL endpoint) since start or the last reset. */
export const subgraphCalls: Record<SubgraphName, number> = { accounts: 0, inventory: 0, products: 0, reviews: 0 };

export function resetSubgraphCalls(): void {
  for (const name of SUBGRAPH_NAMES) subgraphCalls[name] = 0;
}

export function totalSubgraphCalls(): number {
  return SUBGRAPH_NAMES.reduce((sum, name) => sum + subgraphCalls[name], 0);
}

export interface RunningSubgraph {
  name: SubgraphName;
  url: string;
  port: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startSubgraph(name: SubgraphName, port = 0, host = '127.0.0.1'): Promise<RunningSubgraph> {
  const mod = MODULES[name];
  const apollo = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: mod.typeDefs, resolvers: mod.resolvers }),
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
    ],
    includeStacktraceInErrorResponses: false,
  });
  await apollo.start();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method === 'GET' && (req.url === '/health' || req.url === '/healthcheck')) {
      send(res, 200, 'OK');
      return;
    }
    // Out-of-process runners read (GET) or reset (DELETE) this subgraph's counter here.
    if (req.url === '/calls' && (req.method === 'GET' || req.method === 'DELETE')) {
      if (req.method === 'DELETE') subgraphCalls[name] = 0;
      send(res, 200, JSON.stringify({ name, calls: subgraphCalls[name] }), 'application/json');
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, 'POST only');
      return;
    }
    subgraphCalls[name] += 1;
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      send(res, 400, 'invalid JSON body');
      return;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: q === -1 ? '' : url.slice(q), body },
      context: async () => ({}),
    });
    const outHeaders: Record<string, string> = {};
    for (const [key, value] of result.headers) outHeaders[key] = value;
    if (result.body.kind === 'complete') {
      outHeaders['content-length'] = String(Buffer.byteLength(result.body.string));
      res.writeHead(result.status ?? 200, outHeaders);
      res.end(result.body.string);
      return;
    }
    res.writeHead(result.status ?? 200, outHeaders);
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, String(err));
      else res.destroy();
    });
  });
  // Longer than any gateway's pooled keep-alive idle time, so load runs never race a server-side close.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;

  return {
    name,
    port: actualPort,
    url: `http://${host}:${actualPort}/graphql`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await apollo.stop();
    },
  };
}

/** Starts all four subgraphs; `ports` defaults to free ports. */
export async function startAllSubgraphs(ports: Partial<Record<SubgraphName, number>> = {}): Promise<{
  subgraphs: Record<SubgraphName, RunningSubgraph>;
  urls: Record<SubgraphName, string>;
  close(): Promise<void>;
}> {
  const started = await Promise.all(SUBGRAPH_NAMES.map((name) => startSubgraph(name, ports[name] ?? 0)));
  const subgraphs = Object.fromEntries(started.map((s) => [s.name, s])) as Record<SubgraphName, RunningSubgraph>;
  const urls = Object.fromEntries(started.map((s) => [s.name, s.url])) as Record<SubgraphName, string>;
  return {
    subgraphs,
    urls,
    async close() {
      await Promise.all(started.map((s) => s.close()));
    },
  };
}
