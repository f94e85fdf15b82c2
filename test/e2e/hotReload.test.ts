import { copyFile, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { listen, type RunningServer } from '@car-check/service-kit';
import { compose, readSupergraphConfig, REPO_ROOT } from '../../scripts/lib/compose';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { LogCapture } from '@car-check/test-support/logCapture';
import { waitFor } from '@car-check/test-support/waitFor';
import { managementGet } from '@car-check/test-support/management';
import { sha256Hex } from '@car-check/test-support/sha256';

const backend = ONE_BACKEND;

/** The current supergraph, recomposed without `Car.version` (as a car team might ship). */
async function supergraphWithoutCarVersion(): Promise<string> {
  const sources = await readSupergraphConfig();
  const car = sources.find((source) => source.name === 'car')!;
  car.sdl = car.sdl.replace(/\n {2}"The car model's version[^\n]*\n {2}version: String\n/, '\n');
  const outcome = compose(sources);
  if (!outcome.ok) throw new Error(outcome.errors.join('\n'));
  return outcome.supergraphSdl;
}

/** The current supergraph with a `Car.color` that the running car subgraph does not have. */
async function supergraphWithCarColor(): Promise<string> {
  const sources = await readSupergraphConfig();
  const car = sources.find((source) => source.name === 'car')!;
  car.sdl = car.sdl.replace('  brand: String!\n', '  brand: String!\n  color: String\n');
  const outcome = compose(sources);
  if (!outcome.ok) throw new Error(outcome.errors.join('\n'));
  return outcome.supergraphSdl;
}

describe(`hot reload of the supergraph (${backend})`, () => {
  let graph: TestGraph;
  let dir: string;
  let supergraphPath: string;
  const log = new LogCapture('gateway');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'supergraph-'));
    supergraphPath = path.join(dir, 'supergraph.graphql');
    await copyFile(path.join(REPO_ROOT, 'supergraph.graphql'), supergraphPath);
    graph = await startGraph(backend, {
      seed: true,
      gatewayLog: log.log,
      gatewayEnv: { SUPERGRAPH_PATH: supergraphPath, SUPERGRAPH_POLL_MS: '100' },
    });
  });
  afterAll(async () => {
    await graph?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const readyHash = async () => {
    const ready = (await (await managementGet(graph.gatewayUrl, '/ready')).json()) as { supergraph: { hash: string } };
    return ready.supergraph.hash;
  };
  // Written aside and renamed into place, as a deployment would: never a half-written file.
  const publish = async (sdl: string) => {
    await writeFile(`${supergraphPath}.next`, sdl);
    await rename(`${supergraphPath}.next`, supergraphPath);
  };

  it('swaps in a new supergraph under load without failing a request, and refuses an invalid one', async () => {
    const original = await readFile(supergraphPath, 'utf8');
    expect(await readyHash()).toBe(sha256Hex(original));
    const versionQuery = '{ cars(first: 1) { edges { node { version } } } }';
    expect((await graph.query(versionQuery)).errors).toBeUndefined();

    let running = true;
    const outcomes: { ok: boolean; detail: string }[] = [];
    const load = Array.from({ length: 4 }, async () => {
      while (running) {
        const response = await graph.query(
          '{ cars(first: 2) { totalCount edges { node { brand costCenter { code } } } } }',
        );
        outcomes.push({ ok: response.status === 200 && !response.errors, detail: JSON.stringify(response.errors) });
      }
    });

    const next = await supergraphWithoutCarVersion();
    await publish(next);
    await waitFor(async () => (await readyHash()) === sha256Hex(next), 15_000, 'the new supergraph to be loaded');
    const afterSwap = await graph.query(versionQuery);
    expect(afterSwap.status).toBe(422);
    expect(afterSwap.errors?.[0]?.message).toMatch(/Cannot query field "version" on type "Car"/);

    await publish('this is not a supergraph {');
    await waitFor(
      () => log.text().includes('refused a new supergraph'),
      15_000,
      'the invalid supergraph to be refused',
    );
    expect(await readyHash()).toBe(sha256Hex(next));

    running = false;
    await Promise.all(load);
    expect(outcomes.length).toBeGreaterThan(10);
    expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
  });
});

describe(`hot reload from a URL (${backend})`, () => {
  let graph: TestGraph;
  let server: RunningServer;
  let served = '';

  beforeAll(async () => {
    served = await readFile(path.join(REPO_ROOT, 'supergraph.graphql'), 'utf8');
    const app = express();
    app.get('/supergraph.graphql', (_req, res) => res.type('text/plain').send(served));
    server = await listen(app, '127.0.0.1', 0);
    graph = await startGraph(backend, {
      seed: true,
      gatewayEnv: { SUPERGRAPH_URL: `${server.url}/supergraph.graphql`, SUPERGRAPH_POLL_MS: '100' },
    });
  });
  afterAll(async () => {
    await graph?.stop();
    await server?.close();
  });

  it('waits with a supergraph whose additions its subgraphs do not serve yet, and says so', async () => {
    const readyBody = async () =>
      (await (await managementGet(graph.gatewayUrl, '/ready')).json()) as {
        supergraph: { hash: string; pending: { hash: string; notDeployed: Record<string, string[]> } | null };
      };
    const before = served;
    // The car team published `Car.color` before deploying the subgraph that serves it.
    served = await supergraphWithCarColor();
    await waitFor(
      async () => (await readyBody()).supergraph.pending !== null,
      10_000,
      'the new supergraph to be reported as pending',
    );
    const body = await readyBody();
    expect(body.supergraph.hash).toBe(sha256Hex(before));
    expect(body.supergraph.pending).toMatchObject({ hash: sha256Hex(served), notDeployed: { car: ['Car.color'] } });
    const metrics = await (await managementGet(graph.gatewayUrl, '/metrics')).text();
    expect(metrics).toMatch(/gateway_supergraph_pending(\{[^}]*\})? 1/);
    // Queries keep being served by the current supergraph meanwhile.
    expect((await graph.query('{ cars(first: 1) { totalCount } }')).errors).toBeUndefined();
    // Withdrawn: nothing is pending any more.
    served = before;
    await waitFor(
      async () => (await readyBody()).supergraph.pending === null,
      10_000,
      'the pending supergraph to be withdrawn',
    );
  });

  it('polls the URL and loads a new supergraph from it', async () => {
    const ready = async () =>
      ((await (await managementGet(graph.gatewayUrl, '/ready')).json()) as { supergraph: { hash: string } }).supergraph
        .hash;
    expect(await ready()).toBe(sha256Hex(served));
    served = await supergraphWithoutCarVersion();
    await waitFor(
      async () => (await ready()) === sha256Hex(served),
      15_000,
      'the supergraph from the URL to be loaded',
    );
    expect((await graph.query('{ cars(first: 1) { edges { node { version } } } }')).status).toBe(422);
  });
});
