import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderBanner, seedsDemoUsers, type BannerFacts } from '../banner';

const DEVELOPMENT: BannerFacts = { production: false, sandbox: true, devPages: true, demoUsers: true };

function banner(facts: BannerFacts, gatewayBase = 'http://127.0.0.1:4000', seedPasswordSet = false): string {
  return renderBanner({
    facts,
    gatewayBase,
    upAfter: '6.1 s',
    timeToReady: 'npm and the supervisor 1.0 s; ...',
    subgraphs: [{ name: 'car', url: 'http://127.0.0.1:4001/graphql' }],
    buildingPages: false,
    watching: false,
    seedPasswordSet,
  });
}

/** The banner's example, as a person copies it into a shell: from `TOKEN=$(` to the line that ends it. */
function example(text: string): string {
  const lines = text.split('\n');
  const first = lines.findIndex((line) => line.trimStart().startsWith('TOKEN=$('));
  const last = lines.findIndex((line, i) => i > first && !line.trimEnd().endsWith('\\'));
  return lines
    .slice(first, last + 1)
    .map((line) => line.trim())
    .join('\n');
}

/** A gateway as far as the example sees it: login answers as the user subgraph does, and a query needs the token. */
class StubGateway {
  queriesWithToken = 0;
  private server?: http.Server;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const { query } = JSON.parse(body) as { query: string };
        res.setHeader('content-type', 'application/json');
        if (query.includes('login(')) {
          const answer = query.includes('password: "dev-password"')
            ? { data: { login: { token: 'token-1' } } }
            : {
                errors: [{ message: 'Invalid username or password.', extensions: { code: 'UNAUTHENTICATED' } }],
                data: null,
              };
          return res.end(JSON.stringify(answer));
        }
        if (req.headers.authorization === 'Bearer token-1') this.queriesWithToken += 1;
        res.end(JSON.stringify({ data: { cars: { totalCount: 40 } } }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Runs a script in bash, as a terminal would (stdin not a socket, which would make bash read ~/.bashrc). */
function runInShell(
  script: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('bash', ['-c', script], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe("the banner's sign-in example, run in a shell", () => {
  const gateway = new StubGateway();
  let base: string;
  beforeAll(async () => {
    base = await gateway.start();
  });
  afterAll(() => gateway.stop());

  it('with a mistyped password prints the error and its code in one line, exits 1, queries nothing', async () => {
    const before = gateway.queriesWithToken;
    const script = example(banner(DEVELOPMENT, base)).replace('dev-password', 'dev-pasword');
    const run = await runInShell(script);
    expect({ code: run.code, stderr: run.stderr, stdout: run.stdout }).toEqual({
      code: 1,
      stderr: 'Invalid username or password. (UNAUTHENTICATED)\n',
      stdout: '',
    });
    expect(gateway.queriesWithToken).toBe(before);
  });

  it('with the right password signs in and queries with the token', async () => {
    const before = gateway.queriesWithToken;
    const run = await runInShell(example(banner(DEVELOPMENT, base)));
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual({ data: { cars: { totalCount: 40 } } });
    expect(gateway.queriesWithToken).toBe(before + 1);
  });

  it('reads a SEED_PASSWORD of your own from the shell instead of printing it', async () => {
    const text = banner(DEVELOPMENT, base, true);
    expect(text).not.toContain('dev-password');
    expect((await runInShell(example(text), { SEED_PASSWORD: 'dev-password' })).code).toBe(0);
    expect((await runInShell(example(text), { SEED_PASSWORD: 'something-else' })).stderr).toBe(
      'Invalid username or password. (UNAUTHENTICATED)\n',
    );
  });

  it('with no gateway there says so in one line', async () => {
    const closed = new StubGateway();
    const url = await closed.start();
    await closed.stop();
    const run = await runInShell(example(banner(DEVELOPMENT, url)));
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 1, stderr: 'no GraphQL answer from the gateway\n' });
  });
});

describe('the banner says only what its mode serves', () => {
  it('in development on embedded databases: Sandbox, the explorer, the console and the demo users', () => {
    const text = banner(DEVELOPMENT);
    expect(text).toContain('Gateway (Apollo Sandbox in a browser): http://127.0.0.1:4000/graphql');
    expect(text).toContain('http://127.0.0.1:4000/explorer/');
    expect(text).toContain('http://127.0.0.1:4000/console/');
    expect(text).toContain('Try (demo users admin, manager, viewer; password: dev-password');
  });

  it('in development on PostgreSQL: no demo users claimed, db:seed named as what loads them', () => {
    const text = banner({ ...DEVELOPMENT, demoUsers: false });
    expect(text).not.toContain('Try (demo users');
    expect(text).toContain('No demo users are created in a PostgreSQL database: `npm run db:seed` loads them');
  });

  it('in production: no Sandbox, explorer, console or demo password; the bootstrap command instead', () => {
    const text = banner({ production: true, sandbox: false, devPages: false, demoUsers: false });
    for (const claim of ['Sandbox', '/explorer/', '/console/', 'dev-password', 'demo users admin'])
      expect(text).not.toContain(claim);
    expect(text).toContain('Gateway:');
    expect(text).toContain('npm run db:bootstrap-admin');
  });

  it('in production with LANDING_PAGE=true: Sandbox, still no development pages', () => {
    const text = banner({ production: true, sandbox: true, devPages: false, demoUsers: false });
    expect(text).toContain('Apollo Sandbox');
    expect(text).not.toMatch(/explorer\/|console\//);
  });

  it('counts demo users only where a new database is seeded: embedded, SEED_ON_EMPTY, outside production', () => {
    const embedded = { production: false, seedOnEmpty: true, database: { kind: 'embedded' } };
    expect(seedsDemoUsers(embedded)).toBe(true);
    expect(seedsDemoUsers({ ...embedded, database: { kind: 'postgres' } })).toBe(false);
    expect(seedsDemoUsers({ ...embedded, seedOnEmpty: false })).toBe(false);
    expect(seedsDemoUsers({ ...embedded, production: true })).toBe(false);
  });
});
