import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const MINUTE = 60_000;

/** `npm run db:bootstrap-admin`, as an operator runs it, with only the variables given (no database is reached). */
function bootstrap(args: string[], variables: NodeJS.ProcessEnv) {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    ...variables,
  };
  const run = spawnSync('npm', ['run', '--silent', 'db:bootstrap-admin', '--', ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 2 * MINUTE,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr.trim() };
}

/** What a stack trace or a dump of zod's issues would show. */
const NOISE = /^\s+at |"code":|\[\s*$|Error:/m;

describe('npm run db:bootstrap-admin', () => {
  it(
    'says in its usage that production needs GATEWAY_SIGNING_SECRET',
    () => {
      const help = bootstrap(['--help'], {});
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(
        /^Usage: ADMIN_PASSWORD=.* npm run db:bootstrap-admin -- --username NAME --email ADDRESS$/m,
      );
      expect(help.stdout).toContain('NODE_ENV=production, GATEWAY_SIGNING_SECRET');

      const missing = bootstrap(['--username', 'alice'], { ADMIN_PASSWORD: 'a long enough password' });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('GATEWAY_SIGNING_SECRET');
    },
    2 * MINUTE,
  );

  it(
    'refuses bad input in one line naming each flag and variable, with no zod JSON and no stack',
    () => {
      const run = bootstrap(['--username', 'Alice!', '--email', 'not-an-address'], { ADMIN_PASSWORD: 'short' });
      expect(run.code).toBe(1);
      expect(run.stderr.split('\n')).toEqual([
        expect.stringMatching(
          /^db:bootstrap-admin: --username: .+; --email: .+; ADMIN_PASSWORD: at least 12 characters$/,
        ),
      ]);
      expect(run.stderr).not.toMatch(NOISE);
    },
    2 * MINUTE,
  );

  it(
    'refuses a production configuration without GATEWAY_SIGNING_SECRET in one line, exit 78',
    () => {
      const run = bootstrap(['--username', 'alice', '--email', 'alice@example.com'], {
        NODE_ENV: 'production',
        ADMIN_PASSWORD: 'a long enough password',
      });
      expect({ code: run.code, lines: run.stderr.split('\n') }).toEqual({
        code: 78,
        lines: [
          expect.stringMatching(
            /^db:bootstrap-admin failed: invalid configuration: .*GATEWAY_SIGNING_SECRET: required in production/,
          ),
        ],
      });
      expect(run.stderr).not.toMatch(NOISE);
    },
    2 * MINUTE,
  );
});
