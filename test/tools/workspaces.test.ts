import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { subgraphRegistry } from '@car-check/common';

const ROOT = path.resolve(__dirname, '..', '..');

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  workspaces?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
const root = readJson(path.join(ROOT, 'package.json'));
const common = readJson(path.join(ROOT, 'common', 'package.json'));
const SERVICE_PACKAGES = ['gateway', ...subgraphRegistry().map((entry) => path.relative(ROOT, entry.packageDir))];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === '__generated__') return [];
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return name.endsWith('.ts') ? [file] : [];
  });
}

describe('the workspaces', () => {
  it('are the shared package, the gateway, the web app, the test support and every subgraph supergraph.yaml lists (one registry)', () => {
    const declared = root.workspaces ?? [];
    expect(declared).toEqual(['common', 'gateway', 'subgraphs/*', 'web', 'packages/test-support']);
    const onDisk = readdirSync(path.join(ROOT, 'subgraphs')).map((name) => `subgraphs/${name}`);
    expect(onDisk.sort()).toEqual(SERVICE_PACKAGES.filter((dir) => dir !== 'gateway').sort());
  });

  it.each(SERVICE_PACKAGES)('%s builds, starts with node from its build, tests and pins its dependencies', (dir) => {
    const pkg = readJson(path.join(ROOT, dir, 'package.json'));
    expect(pkg.private).toBe(true);
    expect(pkg.scripts?.build).toBe('tsc -b tsconfig.build.json');
    expect(pkg.scripts?.start).toBe('node dist/index.js');
    expect(pkg.scripts?.test).toMatch(/jest/);
    if (dir !== 'gateway') expect(pkg.scripts?.generate).toBeDefined();
    for (const [name, version] of Object.entries(pkg.dependencies ?? {})) {
      // Exact versions only: what was tested is what is deployed.
      expect([name, version]).toEqual([name, expect.stringMatching(/^\d+\.\d+\.\d+(-[\w.]+)?$/)]);
    }
    expect(pkg.dependencies?.['@car-check/common']).toBe(common.version);
  });

  it.each(SERVICE_PACKAGES)('%s imports the shared package only through its public entry points', (dir) => {
    const offenders = sourceFiles(path.join(ROOT, dir)).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      const deep = [...text.matchAll(/from '((?:\.\.\/)+common\/[^']*|@car-check\/common\/(?!demo')[^']*)'/g)].map((m) => m[1]);
      return deep.map((specifier) => `${path.relative(ROOT, file)}: ${specifier}`);
    });
    expect(offenders).toEqual([]);
  });

  it.each(subgraphRegistry().map((entry) => [entry.name, entry] as const))(
    'loading the %s subgraph loads no code of another subgraph (its tests run alone)',
    (name, entry) => {
      const others = subgraphRegistry()
        .filter((other) => other.name !== name)
        .map((other) => other.packageDir + path.sep);
      const script = `require(${JSON.stringify(entry.definitionFile)}); console.log(JSON.stringify(Object.keys(require.cache)));`;
      const loaded = JSON.parse(
        execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 }),
      ) as string[];
      expect(loaded.some((file) => file.startsWith(entry.packageDir))).toBe(true);
      expect(loaded.filter((file) => others.some((dir) => file.startsWith(dir)))).toEqual([]);
    },
  );
});
