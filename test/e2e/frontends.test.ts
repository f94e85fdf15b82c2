import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { listen, type RunningServer, sha256Hex } from '@car-check/service-kit';
import { loadGatewayConfig } from '../../gateway/src/config';
import { buildGateway, type Gateway } from '../../gateway/src/server';
import { ONE_BACKEND as backend } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { postGraphQL } from '@car-check/test-support/graphql';
import { TEST_SEED_PASSWORD, TEST_SIGNING_SECRET_TEXT } from '@car-check/test-support/secrets';
import { silentLogger } from '@car-check/test-support/subgraphs';

const MANIFEST = path.resolve(__dirname, '..', '..', 'web', 'persisted-documents.json');

/** A gateway with no subgraphs behind it: enough for what is answered before any subgraph is asked. */
async function bareGateway(env: NodeJS.ProcessEnv): Promise<{ url: string; stop(): Promise<void> }> {
  const gateway: Gateway = await buildGateway(
    loadGatewayConfig({ GATEWAY_PORT: '0', GATEWAY_SIGNING_SECRET: TEST_SIGNING_SECRET_TEXT, ...env }),
    silentLogger('gateway'),
  );
  const server: RunningServer = await listen(gateway.app, '127.0.0.1', 0);
  return {
    url: server.url,
    stop: async () => {
      await server.close();
      await gateway.apollo.stop();
    },
  };
}

/** The origin a browser preflight from `origin` is allowed, or null. */
async function preflight(url: string, origin: string): Promise<string | null> {
  const response = await fetch(`${url}/graphql`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,authorization',
    },
  });
  return response.headers.get('access-control-allow-origin');
}

describe('CORS for frontends', () => {
  const LOCAL = ['http://localhost:5173', 'http://127.0.0.1:4173', 'http://localhost:3000', 'http://localhost'];
  const SANDBOX = 'https://sandbox.embed.apollographql.com';
  const APP = 'https://fleet.example.com';
  const gateways: { url: string; stop(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
  });
  const start = async (env: NodeJS.ProcessEnv) => {
    const gateway = await bareGateway(env);
    gateways.push(gateway);
    return gateway.url;
  };

  it('in development allows local frontends on any port and Sandbox, and nothing else', async () => {
    const url = await start({ NODE_ENV: 'development' });
    for (const origin of [...LOCAL, SANDBOX]) expect([origin, await preflight(url, origin)]).toEqual([origin, origin]);
    for (const origin of [
      'https://evil.example',
      'http://localhost.evil.example',
      'http://127.0.0.1.evil.example:80',
      APP,
    ]) {
      expect([origin, await preflight(url, origin)]).toEqual([origin, null]);
    }
  });

  it('in development CORS_ORIGINS adds to those defaults', async () => {
    const url = await start({ NODE_ENV: 'development', CORS_ORIGINS: APP });
    for (const origin of [...LOCAL, SANDBOX, APP])
      expect([origin, await preflight(url, origin)]).toEqual([origin, origin]);
  });

  it('in production CORS_ORIGINS is the exact list', async () => {
    const url = await start({ NODE_ENV: 'production', CORS_ORIGINS: APP });
    expect(await preflight(url, APP)).toBe(APP);
    for (const origin of [...LOCAL, SANDBOX]) expect([origin, await preflight(url, origin)]).toEqual([origin, null]);
  });
});

describe('the pages the gateway serves beside /graphql', () => {
  let webDist: string;
  const gateways: { url: string; stop(): Promise<void> }[] = [];
  beforeAll(async () => {
    // A web build with the explorer only: the console is "not built yet".
    webDist = await mkdtemp(path.join(os.tmpdir(), 'web-dist-'));
    await mkdir(path.join(webDist, 'explorer'), { recursive: true });
    await writeFile(path.join(webDist, 'explorer', 'index.html'), '<!doctype html><title>explorer</title>');
  });
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await rm(webDist, { recursive: true, force: true });
  });

  it('in development: the explorer from the web build, and how to build a page that is missing', async () => {
    const { url, stop } = await bareGateway({ NODE_ENV: 'development', WEB_DIST: webDist });
    gateways.push({ url, stop });
    const explorer = await fetch(`${url}/explorer/`);
    expect([explorer.status, await explorer.text()]).toEqual([200, '<!doctype html><title>explorer</title>']);
    expect((await fetch(`${url}/explorer`, { redirect: 'manual' })).headers.get('location')).toBe('/explorer/');
    // npm start builds the pages after the graph answers: meanwhile a browser gets a page that reloads itself.
    const console = await fetch(`${url}/console`);
    expect([console.status, console.headers.get('content-type')]).toEqual([503, expect.stringMatching(/^text\/html/)]);
    const waiting = await console.text();
    expect(waiting).toMatch(/npm run build:console -w web/);
    expect(waiting).toContain('<meta http-equiv="refresh" content="2">');
  });

  it('in production: neither', async () => {
    const { url, stop } = await bareGateway({ NODE_ENV: 'production', WEB_DIST: webDist });
    gateways.push({ url, stop });
    expect((await fetch(`${url}/explorer/`)).status).toBe(404);
    expect(await (await fetch(`${url}/explorer/`)).text()).not.toMatch(/explorer/i);
  });
});

// On one backend: which documents a production gateway runs is decided before any subgraph is called.
describe(`a production gateway with the web app as its trusted documents (${backend})`, () => {
  let graph: TestGraph;
  let manifest: Record<string, string>;
  const idOf = (name: string) => {
    const entry = Object.entries(manifest).find(([, document]) =>
      new RegExp(`(query|mutation) ${name}\\b`).test(document),
    );
    if (!entry) throw new Error(`no ${name} in the manifest`);
    return entry[0];
  };
  const byId = (name: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) =>
    postGraphQL(
      graph.gatewayUrl,
      {
        operationName: name,
        variables,
        extensions: { persistedQuery: { version: 1, sha256Hash: idOf(name) } },
      } as never,
      headers,
    );

  beforeAll(async () => {
    manifest = JSON.parse(await readFile(MANIFEST, 'utf8')) as Record<string, string>;
    graph = await startGraph(backend, {
      seed: true,
      gatewayEnv: { NODE_ENV: 'production', TRUSTED_DOCUMENTS: MANIFEST, TRUSTED_DOCUMENTS_ONLY: 'true' },
    });
  });
  afterAll(async () => {
    await graph?.stop();
  });

  it("serves the app's operations by id, and nothing else", async () => {
    expect(Object.keys(manifest).every((id) => sha256Hex(manifest[id]!) === id)).toBe(true);
    const signIn = await byId('SignIn', { username: 'admin', password: TEST_SEED_PASSWORD });
    expect(signIn.errors).toBeUndefined();
    const token = (signIn.data as { login: { token: string } }).login.token;
    const auth = { authorization: `Bearer ${token}` };

    const cars = await byId('FleetCars', { first: 2 }, auth);
    expect(cars.errors).toBeUndefined();
    const page = (
      cars.data as {
        cars: { totalCount: number; edges: { node: { costCenter: { manager: { username: string } } } }[] };
      }
    ).cars;
    expect(page.totalCount).toBeGreaterThan(2);
    expect(page.edges).toHaveLength(2);
    expect(page.edges[0]!.node.costCenter.manager.username).toEqual(expect.any(String));

    const adHoc = await postGraphQL(graph.gatewayUrl, { query: '{ cars(first: 1) { totalCount } }' }, auth);
    expect(adHoc.status).toBe(403);
    expect(adHoc.errors?.[0]?.extensions).toMatchObject({
      code: 'PERMISSION_DENIED',
      reason: 'PERSISTED_QUERY_NOT_IN_LIST',
    });
    expect(adHoc.data).toBeUndefined();
  });
});
