import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../../benchmarks/lib/processGraph';

const ROOT = path.resolve(__dirname, '..', '..');

/** Runs `npm start`'s script with `env` added, until it exits; what it printed and its code. */
function startAll(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/start-all.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm start with a configuration mistake', () => {
  it.each([
    ['a malformed DATABASE_URL', { DATABASE_URL: 'notaurl' }, /^npm start: invalid configuration: DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL$/],
    ['an impossible port', { GATEWAY_PORT: '99999' }, /^npm start: invalid configuration: GATEWAY_PORT: /],
    [
      'a missing supergraph file',
      { SUPERGRAPH_PATH: '/nonexistent/supergraph.graphql' },
      /^npm start: invalid configuration: SUPERGRAPH_PATH: \/nonexistent\/supergraph\.graphql does not exist; run `npm run compose`/,
    ],
  ])('%s: stops before starting anything, with one line naming the variable and no stack trace', async (_what, env, line) => {
    const { code, stdout, stderr } = await startAll(env);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(line)]);
  });

  it('an occupied port: one line naming its variable, before any database is opened', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      // The other ports free, whatever else runs on this machine (a graph on 4000-4003, say).
      const others = { GATEWAY_PORT: String(await freePort()), CAR_PORT: String(await freePort()), USER_PORT: String(await freePort()) };
      const { code, stdout, stderr } = await startAll({ ...others, COST_CENTER_PORT: String(port), DATA_DIR: '/nonexistent/must-not-be-created' });
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n')).toEqual([
        `npm start: invalid configuration: COST_CENTER_PORT: port ${port} on 127.0.0.1 is already in use (is the graph already running?); stop what uses it or set COST_CENTER_PORT to another port`,
      ]);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
