// Import boundaries between the workspaces, as `import-x/no-restricted-paths` zones on RESOLVED paths, so a
// relative import and an import by package name are judged alike. Everything is derived from the tree (the root
// package.json's workspaces and tsconfig.json's `paths`), so the rules follow the packages as they are added or moved.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = import.meta.dirname;

/** The library packages the gateway may use: the service kit. */
const GATEWAY_LIBRARIES = new Set(['@car-check/service-kit']);
const TEST_SUPPORT = '@car-check/test-support';

/** Test code: it may reach what product code may not (shared test support, the repository's test folder). */
export const TEST_FILES = ['**/__tests__/**', '**/*.test.ts', '**/*.test.tsx', '**/test/**'];

const readJson = (file) => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8'));

/** Every workspace as { dir, name }, expanding the `folder/*` entries of the root package.json. */
function workspaces() {
  return readJson('package.json').workspaces.flatMap((entry) => {
    const dirs = entry.endsWith('/*')
      ? readdirSync(path.join(ROOT, entry.slice(0, -2)), { withFileTypes: true })
          .filter((dirent) => dirent.isDirectory())
          .map((dirent) => `${entry.slice(0, -2)}/${dirent.name}`)
      : [entry];
    return dirs.map((dir) => ({ dir, name: readJson(`${dir}/package.json`).name }));
  });
}

/** tsconfig.json's `paths`: the package names (and subpaths) and the public entry files they stand for. */
function publicPaths() {
  const { config, error } = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  return config.compilerOptions?.paths ?? {};
}

const all = workspaces();
const subgraphs = all.filter((ws) => ws.dir.startsWith('subgraphs/'));
const gateway = all.filter((ws) => ws.dir === 'gateway');
/** Libraries: every workspace that is not a service or the web app (common today; packages/* after the split). */
const libraries = all.filter((ws) => ws.dir !== 'gateway' && ws.dir !== 'web' && !ws.dir.startsWith('subgraphs/'));
const paths = publicPaths();
/** A `dir/*` path (a package that publishes each of its modules, like test support) stands for every module there. */
const expand = (file) =>
  file.endsWith('/*')
    ? readdirSync(path.resolve(ROOT, file.slice(0, -2)))
        .filter((name) => /\.tsx?$/.test(name) && !name.endsWith('.d.ts'))
        .map((name) => path.resolve(ROOT, file.slice(0, -2), name))
    : [path.resolve(ROOT, file)];
const entries = Object.values(paths).flat().flatMap(expand);
/** Subpaths a package publishes (`@car-check/subgraph-kit/demo`); any other `@car-check/<name>/...` reaches inside. */
const publicSubpaths = Object.keys(paths).filter((name) => name.split('/').length > 2);
/** Shared test support: the package once it is one, the repository's test/support folder until then. */
const testSupportDirs = [libraries.find((ws) => ws.name === TEST_SUPPORT)?.dir ?? 'test/support'];

const within = (dir) => [`${dir}/**`];
const outsideLibraryEntries = (library) => ({
  from: library.dir,
  except: entries
    .filter((file) => file.startsWith(path.join(ROOT, library.dir) + path.sep))
    .map((file) => `./${path.relative(path.join(ROOT, library.dir), file)}`),
  message: `Import ${library.name} by its name; its other files are internal.`,
});

/** Zones for code outside `ownDir`: no library's internals. */
function internalsZones(ownDir) {
  return libraries
    .filter((library) => library.dir !== ownDir)
    .map((library) => ({ target: './**', ...outsideLibraryEntries(library) }));
}

/** Product code (not a test) never reaches test code. */
const productZones = [
  { target: './**', from: 'test', message: 'Product code never imports test code.' },
  ...testSupportDirs
    .filter((dir) => !dir.startsWith('test/'))
    .map((dir) => ({
      target: './**',
      from: dir,
      message: `Only tests, scripts and benchmarks import ${TEST_SUPPORT}.`,
    })),
];

const gatewayZones = [
  ...subgraphs.map((subgraph) => ({
    target: './**',
    from: subgraph.dir,
    message: 'The gateway never imports a subgraph.',
  })),
  ...libraries
    .filter((library) => !GATEWAY_LIBRARIES.has(library.name) && library.name !== TEST_SUPPORT)
    .map((library) => ({
      target: './**',
      from: library.dir,
      message: `The gateway uses ${[...GATEWAY_LIBRARIES].join(' / ')} only, not ${library.name}.`,
    })),
];

const otherSubgraphZones = (own) =>
  [...subgraphs, ...gateway]
    .filter((other) => other.dir !== own.dir)
    .map((other) => ({ target: './**', from: other.dir, message: `A subgraph never imports ${other.name}.` }));

const libraryZones = [...subgraphs, ...gateway].map((service) => ({
  target: './**',
  from: service.dir,
  message: 'A library never imports a service.',
}));

const block = (name, files, zones, ignores = []) => ({
  name: `car-check/boundaries/${name}`,
  files,
  ignores,
  // 'off', not an absent rule, when nothing is restricted: an earlier block's zones must not apply here.
  rules: { 'import-x/no-restricted-paths': zones.length ? ['error', { basePath: ROOT, zones }] : 'off' },
});

/**
 * Flat-config blocks, most general first: a later block replaces the zones of an earlier one for the files it
 * matches, so each block lists every zone that applies to its files.
 */
export const boundaryBlocks = [
  {
    // By name too: a subpath that does not resolve (not exported, not built) escapes the resolved-path zones.
    name: 'car-check/boundaries/package-subpaths',
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@car-check/*/**', ...publicSubpaths.map((name) => `!${name}`)],
              message: 'Import a workspace package by its name (or a subpath tsconfig.json publishes).',
            },
          ],
        },
      ],
    },
  },
  block('everywhere', ['**/*.{ts,tsx,mts,cts,js,mjs,cjs}'], internalsZones(null)),
  ...gateway.flatMap((own) => [
    block('gateway-tests', within(own.dir), [...internalsZones(null), ...gatewayZones]),
    block('gateway', within(own.dir), [...internalsZones(null), ...gatewayZones, ...productZones], TEST_FILES),
  ]),
  ...subgraphs.flatMap((own) => [
    block(`${own.dir}-tests`, within(own.dir), [...internalsZones(null), ...otherSubgraphZones(own)]),
    block(
      `${own.dir}`,
      within(own.dir),
      [...internalsZones(null), ...otherSubgraphZones(own), ...productZones],
      TEST_FILES,
    ),
  ]),
  ...libraries.flatMap((own) => [
    // Test support starts the services it tests, so only the other libraries are kept off them.
    ...(own.name === TEST_SUPPORT
      ? [block(own.dir, within(own.dir), internalsZones(own.dir))]
      : [
          // A library's tests may start services (e.g. to check every service's production configuration).
          block(`${own.dir}-tests`, within(own.dir), internalsZones(own.dir)),
          block(own.dir, within(own.dir), [...internalsZones(own.dir), ...libraryZones, ...productZones], TEST_FILES),
        ]),
  ]),
];
