/**
 * The embedded data of a running subgraph, through its real entry points: the user
 * subgraph started from its index.ts on a temporary DATA_DIR, and the db commands.
 * Its data folder is held (a db command against it is refused, naming the folder and
 * the holder); and when the folder is deleted under it, the service says so (an
 * error-level log line, /ready 503) and takes no write it would lose.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../benchmarks/lib/processGraph';
import { waitForHealthy } from '../../scripts/lib/waitForHealthy';
import { postGraphQL } from '@car-check/test-support/graphql';
import { TEST_ENV } from '@car-check/test-support/secrets';
import { signedPost } from '@car-check/test-support/signing';
import { prepareEmbeddedTemplateFromCache } from '@car-check/test-support/templates';
import { ADMIN } from '@car-check/test-support/subgraphHarness';
import { waitFor } from '@car-check/test-support/waitFor';
import { MANAGEMENT_HEADERS } from '@car-check/test-support/management';

const ROOT = path.resolve(__dirname, '..', '..');
const MINUTE = 60_000;
jest.setTimeout(5 * MINUTE);

const CREATE = 'mutation($input: CreateUserInput!) { createUser(input: $input) { id username } }';

describe('a subgraph on embedded data (user, from its entry point)', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let child: ChildProcess;
  let exited: Promise<unknown>;
  let url: string;
  let output = '';

  const createUser = async (username: string) => {
    const body = JSON.stringify({
      query: CREATE,
      variables: { input: { username, email: `${username}@car-check.test` } },
    });
    return postGraphQL<{ createUser: { id: string; username: string } | null }>(
      `${url}/graphql`,
      body,
      await signedPost(ADMIN, `${url}/graphql`, body, { audience: 'user' }),
    );
  };
  const logLines = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number | string; msg: string });

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'car-check-embedded-data-'));
    // The subgraph creates its database from this template, as in a DATA_DIR after a first start
    // (initdb, about 6 CPU-seconds in a child process, is not what is tested here).
    await prepareEmbeddedTemplateFromCache(dataDir);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      ...process.env,
      ...TEST_ENV,
      DATA_DIR: dataDir,
      USER_PORT: String(port),
      LOG_PRETTY: 'false',
      LOG_LEVEL: 'info',
    };
    delete env.DATABASE_URL;
    delete env.USER_DATABASE_URL;
    child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'subgraphs', 'user', 'src', 'index.ts')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((resolve) => child.once('exit', resolve));
    await Promise.race([
      waitForHealthy(`${url}/ready`, 4 * MINUTE),
      exited.then(() => {
        throw new Error(`the user subgraph exited during start-up:\n${output.slice(-3_000)}`);
      }),
    ]);
  }, 5 * MINUTE);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('is held: db:status against it is refused with one line naming the folder and the subgraph’s pid', () => {
    const status = spawnSync('npm', ['run', '--silent', 'db:status', '--', '--subgraph', 'user'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 2 * MINUTE,
    });
    expect({ code: status.status, stdout: status.stdout, stderr: status.stderr.trim() }).toEqual({
      code: 2,
      stdout: '',
      stderr: `db:status failed: the embedded database at ${path.join(dataDir, 'user')} is in use by process ${child.pid} (a running npm start or subgraph): stop it first, or set DATA_DIR to use another folder`,
    });
  });

  it('is held: a second user subgraph, db:migrate and db:seed on the same DATA_DIR are refused alike, each with one line', async () => {
    const refusal = `the embedded database at ${path.join(dataDir, 'user')} is in use by process ${child.pid} (a running npm start or subgraph)`;
    const second = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'subgraphs', 'user', 'src', 'index.ts')],
      {
        cwd: ROOT,
        env: { ...env, USER_PORT: String(await freePort()) },
        encoding: 'utf8',
        timeout: 2 * MINUTE,
      },
    );
    expect({ code: second.status, last: second.stderr.trim().split('\n').pop() }).toEqual({
      code: 1,
      last: expect.stringContaining(`user subgraph failed to start: ${refusal}`),
    });
    for (const command of ['db:migrate', 'db:seed']) {
      const run = spawnSync('npm', ['run', '--silent', command, '--', '--subgraph', 'user'], {
        cwd: ROOT,
        env,
        encoding: 'utf8',
        timeout: 2 * MINUTE,
      });
      const failure = run.stderr.split('\n').filter((line) => line.includes(`${command} failed`));
      expect({ command, code: run.status, failure }).toEqual({
        command,
        code: 1,
        failure: [expect.stringContaining(refusal)],
      });
    }
    // The holder serves on, unharmed.
    expect((await fetch(`${url}/ready`)).status).toBe(200);
  });

  it('when its data folder is deleted, takes no write (DATA_LOSS), turns not ready and logs the loss at error level', async () => {
    const before = await createUser('kept_before');
    expect(before.errors).toBeUndefined();
    expect(before.data?.createUser?.username).toBe('kept_before');

    await rm(path.join(dataDir, 'user'), { recursive: true, force: true });

    const after = await createUser('lost_after');
    expect(after.data?.createUser ?? null).toBeNull();
    expect((after.errors ?? []).map((error) => error.extensions?.code)).toEqual(['DATA_LOSS']);

    // /ready serves the state its background check last saw (checked every second), not a check per call.
    await waitFor(async () => (await fetch(`${url}/ready`)).status === 503, 30_000, '/ready to turn 503');
    const ready = await fetch(`${url}/ready`, { headers: MANAGEMENT_HEADERS });
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not ready', dependencies: { database: 'down' } });
    // pino's numeric levels: 50 is error.
    await waitFor(
      () => logLines().some((line) => line.level === 50 && line.msg.startsWith('data lost:')),
      30_000,
      'the error-level log line',
    );
    // Still refused later: the loss is not forgotten.
    const again = await createUser('lost_again');
    expect((again.errors ?? []).map((error) => error.extensions?.code)).toEqual(['DATA_LOSS']);
  });
});
