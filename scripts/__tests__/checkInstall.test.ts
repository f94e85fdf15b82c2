import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const rootPackage = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};
const lockfile = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; resolved?: string; link?: boolean; optional?: boolean }>;
};

/** What npm records in node_modules/.package-lock.json after installing this lockfile: every entry but the root and the optional ones. */
function installedRecord(): typeof lockfile.packages {
  return Object.fromEntries(
    Object.entries(lockfile.packages).filter(
      ([location, entry]) => location.includes('node_modules/') && !entry.optional,
    ),
  );
}

let checkout: string;

/**
 * A checkout with the repository's lockfile, its check script and its own `pre` scripts, whose
 * start/dev/test only say that they ran; node_modules holds what `change` makes of a clean install.
 */
function checkoutWith(change: (installed: typeof lockfile.packages) => void): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'check-install-'));
  mkdirSync(path.join(dir, 'scripts'));
  mkdirSync(path.join(dir, 'node_modules'));
  copyFileSync(path.join(ROOT, 'scripts', 'check-install.js'), path.join(dir, 'scripts', 'check-install.js'));
  copyFileSync(path.join(ROOT, 'package-lock.json'), path.join(dir, 'package-lock.json'));
  const scripts: Record<string, string> = {};
  for (const name of ['start', 'dev', 'test']) {
    scripts[`pre${name}`] = rootPackage.scripts[`pre${name}`] ?? '';
    scripts[name] = `node -e "console.log('${name} ran')"`;
  }
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'checkout', private: true, scripts }));
  const installed = installedRecord();
  change(installed);
  writeFileSync(path.join(dir, 'node_modules', '.package-lock.json'), JSON.stringify({ packages: installed }));
  return dir;
}

function npm(dir: string, script: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('npm', ['run', '--silent', script], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

afterEach(() => {
  if (checkout) rmSync(checkout, { recursive: true, force: true });
});

describe('npm start, dev and test on a checkout whose install is out of date', () => {
  it('runs when node_modules is what package-lock.json asks for', () => {
    checkout = checkoutWith(() => {});
    for (const script of ['start', 'dev', 'test']) {
      const result = npm(checkout, script);
      expect(result).toMatchObject({ status: 0, stderr: '' });
      expect(result.stdout).toContain(`${script} ran`);
    }
  });

  it('stops before starting, with one line, after a pull that renamed a workspace', () => {
    // What a checkout from before the split of common/ has: the old package's link, none for the new ones.
    checkout = checkoutWith((installed) => {
      delete installed['node_modules/@car-check/service-kit'];
      delete installed['node_modules/@car-check/events'];
      installed['node_modules/@car-check/common'] = { resolved: 'common', link: true };
    });
    for (const script of ['start', 'dev', 'test']) {
      const result = npm(checkout, script);
      expect(result.status).not.toBe(0);
      expect(result.stdout).not.toContain('ran');
      const lines = result.stderr.trim().split('\n');
      expect(lines[0]).toBe(
        'dependencies are out of date (missing: @car-check/events, @car-check/service-kit; ' +
          'no longer in package-lock.json: @car-check/common): run npm install',
      );
      // npm's own "lifecycle script failed" lines may follow; no stack trace does.
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('names a package installed at another version', () => {
    expect(lockfile.packages['node_modules/graphql']).toBeDefined();
    checkout = checkoutWith((installed) => {
      installed['node_modules/graphql'] = { ...installed['node_modules/graphql'], version: '0.0.1' };
    });
    const result = npm(checkout, 'start');
    expect(result.status).not.toBe(0);
    expect(result.stderr.trim().split('\n')[0]).toBe(
      'dependencies are out of date (at another version: graphql): run npm install',
    );
  });

  it('says so when nothing is installed', () => {
    checkout = checkoutWith(() => {});
    rmSync(path.join(checkout, 'node_modules'), { recursive: true });
    const result = npm(checkout, 'start');
    expect(result.status).not.toBe(0);
    expect(result.stderr.trim().split('\n')[0]).toBe('dependencies are not installed: run npm install');
  });
});
