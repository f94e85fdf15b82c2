import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { subgraphUrlVariable } from '@car-check/service-kit';
import { freePort } from '../../benchmarks/lib/processGraph';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { DelayProxy } from '@car-check/test-support/delayProxy';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { freshClientAddress, sendRaw } from '@car-check/test-support/rawHttp';
import { TEST_ENV } from '@car-check/test-support/secrets';
import { waitFor } from '@car-check/test-support/waitFor';

const ROOT = path.resolve(__dirname, '..', '..');
const backend = ONE_BACKEND;
const GATEWAY_ENTRY = path.join(ROOT, 'gateway/src/index.ts');

/**
 * What only the workers need: Apollo, and the libraries the service kit's main entry wraps
 * (the primary imports only `@car-check/service-kit/process`).
 */
const WORKERS_ONLY = ['@apollo/gateway', '@apollo/server', 'graphql', 'express', 'jose', 'ioredis'];

/**
 * Preloaded into the gateway's processes (NODE_OPTIONS): once a worker listens, the primary says
 * which of WORKERS_ONLY it has loaded, and that it has loaded the rate limit's cluster master,
 * which it needs (gateway/src/cluster.ts): the probe sees what is loaded.
 */
function primaryModulesProbe(): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'gateway-primary-')), 'probe.cjs');
  writeFileSync(
    file,
    `const cluster = require('node:cluster');
if (cluster.isPrimary) cluster.once('listening', () => {
  const files = Object.keys(require.cache);
  const loaded = (name) => files.some((file) => file.includes('/node_modules/' + name + '/'));
  process.stderr.write('primary loaded: ' + JSON.stringify(${JSON.stringify(WORKERS_ONLY)}.filter(loaded)) + '\\n');
  process.stderr.write('primary loaded rate-limiter-flexible: ' + loaded('rate-limiter-flexible') + '\\n');
});
`,
  );
  return file;
}

/** The gateway run as production runs it, with WORKERS=2: two processes behind one port. */
describe(`a gateway with two workers (${backend})`, () => {
  let graph: TestGraph;
  let gateway: ChildProcess;
  let base: string;
  /** The primary's module probe (primaryModulesProbe), removed afterwards. */
  let probe: string | undefined;
  /** In front of the user subgraph, to hold queries in flight and count what reaches it. */
  let userProxy: DelayProxy;
  const output: string[] = [];

  beforeAll(async () => {
    graph = await startGraph(backend, { seed: true });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...TEST_ENV,
      GATEWAY_PORT: String(port),
      WORKERS: '2',
      RATE_LIMIT_PER_MINUTE: '10',
      LOG_LEVEL: 'info',
      NODE_OPTIONS: `--require ${(probe = primaryModulesProbe())}`,
    };
    for (const [name, subgraph] of Object.entries(graph.subgraphs))
      env[subgraphUrlVariable(name)] = subgraph.graphqlUrl;
    userProxy = new DelayProxy(graph.subgraphs.user.graphqlUrl);
    env[subgraphUrlVariable('user')] = await userProxy.start();
    env.JWKS_URL = new URL('/.well-known/jwks.json', graph.subgraphs.user.graphqlUrl).toString();
    env.TOKEN_STATUS_URL = new URL('/internal/token-status', graph.subgraphs.user.graphqlUrl).toString();
    gateway = spawn(process.execPath, ['--import', 'tsx', GATEWAY_ENTRY], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    gateway.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    gateway.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    await waitFor(
      async () => (await fetch(`${base}/health`).catch(() => null))?.ok === true,
      60_000,
      'the gateway to answer',
    );
  }, 120_000);
  afterAll(async () => {
    if (gateway && gateway.exitCode === null) gateway.kill('SIGKILL');
    await graph?.stop();
    await userProxy?.stop();
    if (probe) rmSync(path.dirname(probe), { recursive: true, force: true });
  });

  it('serves from two worker processes', async () => {
    await waitFor(() => output.join('').split('gateway ready').length - 1 >= 2, 60_000, 'both workers to listen');
    const answer = await sendRaw(base, {
      body: JSON.stringify({ query: '{ __typename }' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.json).toEqual({ data: { __typename: 'Query' } });
  });

  it('keeps the request path and the libraries it wraps out of the primary, which only supervises', () => {
    expect(output.join('')).toContain('primary loaded rate-limiter-flexible: true');
    expect(output.join('')).toContain('primary loaded: []');
  });

  it('counts one client’s rate limit across the workers', async () => {
    const address = freshClientAddress();
    const statuses: number[] = [];
    // A new connection each time, so the kernel spreads the requests over both workers.
    for (let i = 0; i < 12; i++) {
      statuses.push(
        (
          await sendRaw(base, {
            body: JSON.stringify({ query: '{ __typename }' }),
            headers: { 'content-type': 'application/json' },
            localAddress: address,
          })
        ).status,
      );
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });

  it('counts requests sent at once across the workers as it counts them one by one', async () => {
    const address = freshClientAddress();
    const send = () =>
      sendRaw(base, {
        body: JSON.stringify({ query: '{ __typename }' }),
        headers: { 'content-type': 'application/json' },
        localAddress: address,
      }).then((answer) => answer.status);
    // Each worker asks the primary once for all of this client's requests it read in one turn.
    const statuses = await Promise.all(Array.from({ length: 14 }, send));
    expect([
      statuses.filter((status) => status === 200).length,
      statuses.filter((status) => status === 429).length,
    ]).toEqual([10, 4]);
  });

  it('runs identical queries in flight in both workers once', async () => {
    await waitFor(() => output.join('').split('gateway ready').length - 1 >= 2, 60_000, 'both workers to listen');
    const token = await graph.login('admin');
    // Each on its own connection (which the primary hands to the workers in turn) and client address (its own rate limit).
    const ask = (query = '{ users(first: 2) { totalCount } }') =>
      sendRaw(base, {
        body: JSON.stringify({ query }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        localAddress: freshClientAddress(),
      });
    // Both workers have verified the token once (its status is then cached), with another query: one whose
    // executions were quick would not be asked about. The suite's rate limit (10 a minute) counts this
    // user's requests: 2 here and 6 below.
    for (let i = 0; i < 2; i++) expect((await ask('{ __typename }')).status).toBe(200);
    // Slow enough that all six overlap, even on a loaded machine.
    userProxy.delayMs = 2_000;
    try {
      const before = userProxy.requests;
      const answers = await Promise.all(Array.from({ length: 6 }, () => ask()));
      expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 6 }, () => 200));
      expect(new Set(answers.map((answer) => JSON.stringify(answer.json))).size).toBe(1);
      expect(answers[0]!.json).toEqual({ data: { users: { totalCount: expect.any(Number) } } });
      // Each answer is still its own request's.
      expect(new Set(answers.map((answer) => answer.headers['x-request-id'])).size).toBe(6);
      expect(userProxy.requests - before).toBe(1);
    } finally {
      userProxy.delayMs = 0;
    }
  });

  it('stops both workers on SIGTERM and exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => gateway.once('exit', (code) => resolve(code)));
    gateway.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output.join('')).toMatch(/gateway stopped/);
  }, 60_000);
});

/** A configuration error under WORKERS=2: found by the first worker (the primary reads only its own variables). */
describe('a gateway with two workers and a configuration error', () => {
  it('exits 78 with one line naming the variable, from its first worker, without restarting it', async () => {
    const gateway = spawn(process.execPath, ['--import', 'tsx', GATEWAY_ENTRY], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...TEST_ENV,
        GATEWAY_PORT: String(await freePort()),
        WORKERS: '2',
        RATE_LIMIT_PER_MINUTE: 'lots',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    gateway.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    gateway.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const code = await new Promise<number | null>((resolve) => gateway.once('exit', (exitCode) => resolve(exitCode)));
    expect(code).toBe(78);
    const failures = output
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('gateway failed to start:'));
    expect(failures).toEqual([expect.stringMatching(/RATE_LIMIT_PER_MINUTE/)]);
  }, 120_000);
});
