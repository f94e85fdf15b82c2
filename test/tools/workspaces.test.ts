import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { subgraphRegistry } from '@car-check/service-kit';

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
const SERVICE_PACKAGES = ['gateway', ...subgraphRegistry().map((entry) => path.relative(ROOT, entry.packageDir))];
/** The libraries the services build on, each with the only other libraries it may import (acyclic). */
const LIBRARIES: Record<string, string[]> = {
  'service-kit': [],
  events: ['@car-check/service-kit'],
  'subgraph-kit': ['@car-check/service-kit', '@car-check/events'],
};
/** The library entry points other packages may import: each package's root, and the demo fleet. */
const libraryDir = (name: string) => path.join('packages', name);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === '__generated__') return [];
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return name.endsWith('.ts') ? [file] : [];
  });
}

const isTest = (file: string) => file.includes(`${path.sep}__tests__${path.sep}`) || file.endsWith('.test.ts');

/** The packages a file imports (`@scope/name`, `name`), node built-ins left out. */
function importedPackages(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from |require\(|import\()'([^'.][^']*)'/g)].map((m) => m[1] as string);
  return specifiers
    .filter((specifier) => !specifier.startsWith('node:'))
    .map((specifier) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/'),
    );
}

describe('the workspaces', () => {
  it('are the libraries under packages/, the gateway, the web app and every subgraph supergraph.yaml lists (one registry)', () => {
    const declared = root.workspaces ?? [];
    expect(declared).toEqual(['packages/*', 'gateway', 'subgraphs/*', 'web']);
    for (const name of Object.keys(LIBRARIES)) {
      expect(readJson(path.join(ROOT, libraryDir(name), 'package.json')).name).toBe(`@car-check/${name}`);
    }
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
    for (const name of Object.keys(LIBRARIES)) {
      const wanted = pkg.dependencies?.[`@car-check/${name}`];
      if (wanted !== undefined)
        expect(wanted).toBe(readJson(path.join(ROOT, libraryDir(name), 'package.json')).version);
    }
  });

  it('the gateway builds on the service kit only: no database, broker or event code', () => {
    const pkg = readJson(path.join(ROOT, 'gateway', 'package.json'));
    const libraries = Object.keys(pkg.dependencies ?? {}).filter((name) => name.startsWith('@car-check/'));
    expect(libraries).toEqual(['@car-check/service-kit']);
    // Its product code (its tests may use the shared test support, a development dependency).
    const product = sourceFiles(path.join(ROOT, 'gateway', 'src')).filter((file) => !isTest(file));
    const imported = new Set(product.flatMap(importedPackages));
    expect([...imported].filter((name) => name.startsWith('@car-check/'))).toEqual(['@car-check/service-kit']);
  });

  it.each(Object.entries(LIBRARIES))(
    'the %s library imports only the libraries below it and declares, pinned, what it imports',
    (name, allowed) => {
      const dir = path.join(ROOT, libraryDir(name));
      const pkg = readJson(path.join(dir, 'package.json'));
      expect(pkg.private).toBe(true);
      expect(pkg.scripts?.build).toBe('tsc -b tsconfig.build.json');
      const imported = new Set(
        sourceFiles(path.join(dir, 'src'))
          .filter((file) => !isTest(file))
          .flatMap(importedPackages),
      );
      const libraries = [...imported].filter((dependency) => dependency.startsWith('@car-check/'));
      expect(libraries.filter((library) => !allowed.includes(library))).toEqual([]);
      // Declared is what its code imports (so an image installs nothing it doesn't run), pinned exactly.
      expect(Object.keys(pkg.dependencies ?? {}).sort()).toEqual([...imported].sort());
      for (const [dependency, version] of Object.entries(pkg.dependencies ?? {})) {
        expect([dependency, version]).toEqual([dependency, expect.stringMatching(/^\d+\.\d+\.\d+(-[\w.]+)?$/)]);
      }
    },
  );

  it.each(Object.keys(LIBRARIES))('the %s library names every export it offers: no export * anywhere', (name) => {
    const offenders = sourceFiles(path.join(ROOT, libraryDir(name), 'src'))
      .filter((file) => /^\s*export \*/m.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(ROOT, file));
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
        execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 120_000,
        }),
      ) as string[];
      expect(loaded.some((file) => file.startsWith(entry.packageDir))).toBe(true);
      expect(loaded.filter((file) => others.some((dir) => file.startsWith(dir)))).toEqual([]);
    },
  );
});
