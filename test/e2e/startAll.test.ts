import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freeGraphPorts } from '@car-check/test-support/graphPorts';
import { waitForHealthy } from '../../scripts/lib/waitForHealthy';
import { postGraphQL } from '@car-check/test-support/graphql';
import { waitFor } from '@car-check/test-support/waitFor';
import { SUBGRAPH_HOST } from '../../scripts/lib/subgraphHost';

const ROOT = path.resolve(__dirname, '..', '..');
const MINUTE = 60_000;
/** A duration as formatDuration writes it: `340 ms`, `6.1 s`, or past a minute (a loaded machine) `1 min 13 s`. */
const DURATION = '(\\d+ ms|\\d+\\.\\d s|\\d+ min \\d+ s)';

/**
 * A transparent HTTP forwarder in front of the user subgraph, so the test can
 * hold a request "in flight" for as long as it needs: GraphQL POSTs wait
 * `delayMs` before being forwarded. Every other call (keys, token status,
 * /ready) passes straight through.
 */
class SlowLink {
  delayMs = 0;
  /** GraphQL requests received and not yet answered. */
  pending = 0;
  private server?: http.Server;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<number> {
    this.server = http.createServer((req, res) => {
      const slow = req.method === 'POST' && req.url?.startsWith('/graphql') && this.delayMs > 0;
      if (slow) {
        this.pending += 1;
        res.on('close', () => (this.pending -= 1));
      }
      const forward = () => {
        const upstream = http.request(
          { host: '127.0.0.1', port: this.targetPort, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => {
          if (!res.headersSent) res.writeHead(502);
          res.end();
        });
        req.pipe(upstream);
      };
      if (slow) setTimeout(forward, this.delayMs);
      else forward();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/**
 * `npm start` for real: the supervisor (scripts/start-all.ts), the subgraph host (every
 * subgraph in one process) and the gateway, on embedded databases. A killed host comes
 * back while the gateway keeps answering; SIGTERM drains the gateway before the subgraphs.
 */
describe('npm start supervises the graph', () => {
  let ports: Record<string, number>;
  let portsEnv: Record<string, string>;
  let dataDir: string;
  let link: SlowLink;
  let supervisor: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;
  let gatewayUrl: string;
  let token: string;

  const startedPids = (name: string) =>
    [...output.matchAll(new RegExp(`^supervisor: started ${name} \\(pid (\\d+)\\)$`, 'gm'))].map((match) =>
      Number(match[1]),
    );
  const tail = () => output.split('\n').slice(-40).join('\n');
  /** waitFor, with what npm start printed up to the failure in its message. */
  const waitForGraph = (check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) =>
    waitFor(check, timeoutMs, what).catch((error: Error) => {
      throw new Error(`${error.message}; npm start's last lines:\n${tail()}`);
    });
  const waitForOutput = (pattern: RegExp, timeoutMs: number) =>
    waitForGraph(() => pattern.test(output), timeoutMs, `${pattern} in the output of npm start`);
  const query = (text: string) =>
    postGraphQL(`${gatewayUrl}/graphql`, { query: text }, { authorization: `Bearer ${token}` });
  const LOGIN = 'mutation { login(username: "admin", password: "dev-password") { token } }';

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'car-check-start-all-'));
    ({ ports, env: portsEnv } = await freeGraphPorts());
    link = new SlowLink(ports.user!);
    const linkPort = await link.start();
    gatewayUrl = `http://127.0.0.1:${ports.gateway}`;

    // What a developer's shell would have, minus anything that points the graph elsewhere.
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) =>
          !/(_SUBGRAPH_URL|DATABASE_URL|_SUBGRAPH_TIMEOUT_MS|^JWKS_URL|^TOKEN_STATUS_URL|^SUPERGRAPH_)/.test(name),
      ),
    );
    Object.assign(env, {
      NODE_ENV: 'development',
      ...portsEnv,
      DATA_DIR: dataDir,
      LOG_PRETTY: 'false',
      // Info: the subgraphs' JSON lines report each step of the first start (checked below).
      LOG_LEVEL: 'info',
      // Everyone reaches the user subgraph through the slow link (start-all keeps a URL that is already set).
      USER_SUBGRAPH_URL: `http://127.0.0.1:${linkPort}/graphql`,
    });
    supervisor = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/start-all.ts')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    supervisor.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    supervisor.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => supervisor.once('exit', (code) => resolve(code)));

    // The first start creates three embedded databases, migrates and seeds them.
    await waitForOutput(/The car-check graph is up/, 4 * MINUTE);
    // The web pages, when missing, are built once the graph answers: a line says when they are.
    if (output.includes('web: building')) await waitForOutput(/^web: (built|could not build)/m, 4 * MINUTE);
    await waitForHealthy(`${gatewayUrl}/health`, MINUTE);
    const login = await postGraphQL<{ login: { token: string } }>(`${gatewayUrl}/graphql`, { query: LOGIN });
    if (!login.data?.login) throw new Error(`login failed: ${JSON.stringify(login.errors)}\n${tail()}`);
    token = login.data.login.token;
  }, 5 * MINUTE);

  afterAll(async () => {
    if (supervisor && supervisor.exitCode === null && supervisor.signalCode === null) {
      supervisor.kill('SIGKILL');
      await exited;
    }
    // The services run in their own process groups: make sure none outlives the test.
    for (const name of ['gateway', SUBGRAPH_HOST]) {
      for (const pid of startedPids(name)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await link?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, MINUTE);

  it('serves the web console and the offline explorer beside the graph, and names them in its banner', async () => {
    expect(output).toContain(`${gatewayUrl}/explorer/`);
    expect(output).toContain(`${gatewayUrl}/console/`);
    for (const page of ['explorer', 'console']) {
      const response = await fetch(`${gatewayUrl}/${page}/`);
      expect([page, response.status, response.headers.get('content-type')]).toEqual([
        page,
        200,
        expect.stringMatching(/text\/html/),
      ]);
      // Everything the page loads comes from the gateway itself: it works with no network.
      const html = await response.text();
      expect([page, html.match(/(src|href)="https?:\/\/[^"]*"/g)]).toEqual([page, null]);
    }
  });

  it("prints a sign-in example: with a mistyped password, the gateway's error in one line, exit 1", async () => {
    const lines = output.split('\n');
    const first = lines.findIndex((line) => line.trimStart().startsWith('TOKEN=$('));
    const last = lines.findIndex((line, i) => i > first && !line.trimEnd().endsWith('\\'));
    expect(first).toBeGreaterThan(-1);
    const example = lines
      .slice(first, last + 1)
      .map((line) => line.trim())
      .join('\n');
    expect(example).toContain('dev-password');
    // As a person runs it in a terminal (stdin not a pipe: bash would read ~/.bashrc then).
    const mistyped = example.replace('dev-password', 'dev-pasword');
    const shell = spawn('bash', ['-c', mistyped], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    shell.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    shell.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => shell.on('close', resolve));
    expect({ code, stderr, stdout }).toEqual({
      code: 1,
      stderr: 'Invalid username or password. (UNAUTHENTICATED)\n',
      stdout: '',
    });
  });

  it("logs a peer's event feed that is not up yet without a stack: one line saying it retries", () => {
    expect(output).not.toContain('FeedUnavailable');
    const feedLines = output.split('\n').filter((line) => line.includes('cannot read the event feed'));
    for (const line of feedLines) {
      expect(line).toContain('retrying with backoff');
      expect(line).not.toContain('"err"');
    }
  });

  it('reports the first start as it goes: each subgraph its steps with their durations, the banner a total and each service', () => {
    const progress = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [
            JSON.parse(line) as {
              service: string;
              msg: string;
              progress?: { step: string; phase: string; durationMs?: number; ranInitdb?: boolean; total?: number };
            },
          ];
        } catch {
          return []; // a long line of another process's cut into (one pipe for all four)
        }
      })
      .filter((entry) => entry.progress);
    for (const name of ['car', 'cost-center', 'user']) {
      const done = (step: string) =>
        progress.find(
          (entry) => entry.service === name && entry.progress!.step === step && entry.progress!.phase === 'done',
        );
      // A fresh DATA_DIR: each database is created, migrated and seeded; each step says how long it took.
      for (const step of ['code', 'create-database', 'database', 'migrations', 'seed', 'ready']) {
        expect([name, step, typeof done(step)?.progress!.durationMs]).toEqual([name, step, 'number']);
      }
      expect([name, done('migrations')!.progress!.total]).toEqual([name, expect.any(Number)]);
      expect(done('migrations')!.progress!.total).toBeGreaterThan(0);
      expect(done('ready')!.msg).toMatch(
        new RegExp(`^${name} subgraph ready at http://127\\.0\\.0\\.1:${ports[name]}/graphql in `),
      );
      expect(output).toMatch(new RegExp(`^supervisor: ${name} is ready, ${DURATION} after it was started`, 'm'));
    }
    // The three databases beside each other: initdb ran once, the other two are copies of its template.
    expect(
      progress.filter((entry) => entry.progress!.step === 'create-database' && entry.progress!.ranInitdb === true),
    ).toHaveLength(1);

    expect(output).toMatch(new RegExp(`The car-check graph is up \\(${DURATION} after npm start\\)`));
    expect(output).toMatch(
      /Time to ready: npm and the supervisor .+; the subgraphs, in parallel: car .+, cost-center .+, user .+; then gateway \d/,
    );
  });

  it(
    'restarts the subgraph host killed with SIGKILL while the gateway keeps answering, each failure a coded field error',
    async () => {
      expect((await query('{ cars(first: 1) { totalCount } }')).data).toEqual({ cars: { totalCount: 40 } });
      const [hostPid] = startedPids(SUBGRAPH_HOST);
      expect(hostPid).toEqual(expect.any(Number));

      process.kill(hostPid!, 'SIGKILL');
      await waitForOutput(
        new RegExp(`^supervisor: ${SUBGRAPH_HOST} exited \\(signal SIGKILL\\); restart 1 in 250 ms$`, 'm'),
        10_000,
      );

      // While the subgraphs are down (or already back), the gateway answers: its own pages, and
      // GraphQL whose every failure is a well-formed field error saying the subgraph is unavailable.
      expect((await fetch(`${gatewayUrl}/console/`)).status).toBe(200);
      const during = await query('{ cars(first: 1) { totalCount } }');
      if (during.errors) {
        expect(during.errors.map((error) => error.extensions?.code)).toEqual(during.errors.map(() => 'UNAVAILABLE'));
      } else {
        expect(during.data).toEqual({ cars: { totalCount: 40 } });
      }

      // It comes back (same ports, same databases), and queries work again.
      await waitForGraph(() => startedPids(SUBGRAPH_HOST).length === 2, 10_000, 'the subgraphs to be started again');
      expect(startedPids(SUBGRAPH_HOST)[1]).not.toBe(hostPid);
      await waitForGraph(
        async () => (await query('{ cars(first: 1) { totalCount } }').catch(() => undefined))?.data?.cars != null,
        2 * MINUTE,
        'car queries to work again',
      );
      expect((await query('{ cars(first: 1) { totalCount } }')).data).toEqual({ cars: { totalCount: 40 } });
      expect((await query('{ me { username } }')).data).toEqual({ me: { username: 'admin' } });
      expect((await query('{ costCenters(first: 1) { totalCount } }')).data).toEqual({
        costCenters: { totalCount: 5 },
      });

      // The gateway was not restarted, and the graph did not stop.
      expect(startedPids('gateway')).toHaveLength(1);
      expect(supervisor.exitCode).toBeNull();
    },
    5 * MINUTE,
  );

  it(
    'on SIGTERM drains the gateway first: a request in flight is answered, then everything exits 0',
    async () => {
      // The login will wait 2 s between the gateway and the user subgraph.
      link.delayMs = 2_000;
      const inFlight = postGraphQL<{ login: { token: string } }>(`${gatewayUrl}/graphql`, { query: LOGIN });
      await waitForGraph(() => link.pending > 0, 30_000, 'the login to be on its way to the user subgraph');
      supervisor.kill('SIGTERM');

      const answer = await inFlight;
      expect(answer.errors).toBeUndefined();
      expect(answer.data?.login.token).toEqual(expect.any(String));
      expect(await exited).toBe(0);

      // The order, as the supervisor tells it: the subgraphs are signalled only after the gateway exited.
      const lines = output.split('\n');
      const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
      const gatewayExited = at(/^supervisor: gateway exited/);
      expect(at(/^supervisor: stopping gateway/)).toBeGreaterThanOrEqual(0);
      expect(gatewayExited).toBeGreaterThan(at(/^supervisor: stopping gateway/));
      expect(at(new RegExp(`^supervisor: stopping ${SUBGRAPH_HOST} `))).toBeGreaterThan(gatewayExited);
      // Every subgraph drained after the gateway had exited, and then the host exited on its own.
      for (const name of ['car', 'cost-center', 'user', 'webhook', 'report']) {
        expect([name, at(new RegExp(`"msg":"${name} subgraph stopped"`)) > gatewayExited]).toEqual([name, true]);
      }
      expect(at(new RegExp(`^supervisor: ${SUBGRAPH_HOST} exited \\(code 0\\)$`))).toBeGreaterThan(gatewayExited);
    },
    2 * MINUTE,
  );
});
