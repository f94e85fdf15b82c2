import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as esbuild from 'esbuild';

/**
 * `npm start` runs each service as plain JavaScript: one esbuild bundle per service
 * (`<package>/dist/start.js`) of its own code and the workspace packages it uses, with
 * node_modules left to `require`. A subgraph under the tsx loader held ~65 MB more at
 * rest (the loader, and each source file compiled with its inline source map); see
 * docs/performance.md. `npm run dev` stays on tsx, which reloads on change.
 *
 * A bundle is rebuilt only when it is stale: when a file it was made from changed
 * (size or mtime), went away, or esbuild or these options changed. A first start
 * bundles every service in a few seconds, a later one checks a few hundred stats.
 */

/** Where a service's bundle goes: `dist` of its package, which .gitignore, eslint and Docker skip. */
export const bundleFileOf = (packageDir: string) => path.join(packageDir, 'dist', 'start.js');

/** Writes `file` under a temporary name, then renames it into place. */
async function writeAtomically(file: string, contents: string | Uint8Array): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, contents);
    await rename(temporary, file);
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Bumped when the bundles this module makes change shape (the stale check compares it). */
const FORMAT = 1;

interface Manifest {
  key: string;
  inputs: Record<string, { size: number; mtimeMs: number }>;
}

const manifestFileOf = (outfile: string) => `${outfile}.inputs.json`;

/**
 * What a bundle starts from: a service's `src/index.ts`, or source text made at start
 * (the subgraph host's entry, which names every subgraph of supergraph.yaml:
 * subgraphHost.ts). Generated text is never written to disk; its imports resolve from `root`.
 */
export type BundleEntry = string | { contents: string; sourcefile: string };

/** The name esbuild's metafile gives a generated entry (it is no file to stat). */
const generatedInput = (entry: BundleEntry) => (typeof entry === 'string' ? undefined : entry.sourcefile);

/**
 * `__dirname` of each source file, not of the bundle: the services find their package
 * (`path.join(__dirname, '..')`: SDL, migrations), supergraph.yaml and the web pages
 * from where their source is. Rewritten relative to the bundle, so a moved checkout keeps working.
 */
function sourceDirnamePlugin(outfile: string): esbuild.Plugin {
  return {
    name: 'source-dirname',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        const contents = await readFile(args.path, 'utf8');
        if (!contents.includes('__dirname')) return { contents, loader: 'ts' };
        const relative = path.relative(path.dirname(outfile), path.dirname(args.path)).split(path.sep).join('/');
        return {
          contents: contents.replace(
            /\b__dirname\b/g,
            `require("node:path").join(__dirname, ${JSON.stringify(relative)})`,
          ),
          loader: 'ts',
        };
      });
    },
  };
}

function buildOptions(entry: BundleEntry, outfile: string, root: string): esbuild.BuildOptions {
  return {
    absWorkingDir: root,
    ...(typeof entry === 'string'
      ? { entryPoints: [entry] }
      : { stdin: { contents: entry.contents, sourcefile: entry.sourcefile, resolveDir: root, loader: 'ts' } }),
    outfile,
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    // node_modules stay out: loaded as they are, also by what resolves files next to them (PGlite, Prisma).
    // The workspace packages come in through tsconfig's paths (their sources, as under tsx).
    packages: 'external',
    tsconfig: path.join(root, 'tsconfig.json'),
    // Stack traces name the TypeScript sources (node --enable-source-maps), without copying them in.
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    // Written by writeAtomically: a supervisor starting a service reads a whole bundle even
    // while another (a test's graph, in the same checkout) writes the same one.
    write: false,
    logLevel: 'silent',
    plugins: [sourceDirnamePlugin(outfile)],
  };
}

const optionsKey = (entry: BundleEntry, outfile: string) =>
  JSON.stringify({ FORMAT, esbuild: esbuild.version, node: process.versions.node.split('.')[0], entry, outfile });

async function isFresh(entry: BundleEntry, outfile: string, root: string): Promise<boolean> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(manifestFileOf(outfile), 'utf8')) as Manifest;
    await stat(outfile);
  } catch {
    return false;
  }
  if (manifest.key !== optionsKey(entry, outfile)) return false;
  const checks = await Promise.all(
    Object.entries(manifest.inputs).map(async ([file, was]) => {
      const now = await stat(path.resolve(root, file)).catch(() => null);
      return now !== null && now.size === was.size && now.mtimeMs === was.mtimeMs;
    }),
  );
  return checks.every(Boolean);
}

/**
 * Bundles `entry` (a service's `src/index.ts`, or generated source) to `bundleFileOf(packageDir)`
 * unless that bundle is fresh. Resolves to the bundle's path and whether it was (re)built.
 */
export async function bundleService(
  entry: BundleEntry,
  packageDir: string,
  root: string,
): Promise<{ file: string; built: boolean }> {
  const outfile = bundleFileOf(packageDir);
  if (await isFresh(entry, outfile, root)) return { file: outfile, built: false };
  const result = await esbuild.build(buildOptions(entry, outfile, root));
  await mkdir(path.dirname(outfile), { recursive: true });
  for (const output of result.outputFiles!) await writeAtomically(output.path, output.contents);
  const inputs: Manifest['inputs'] = {};
  // Metafile paths are relative to esbuild's working directory (root); tsconfig.json's paths resolve the packages.
  const generated = generatedInput(entry);
  for (const input of [...Object.keys(result.metafile!.inputs), 'tsconfig.json']) {
    // A generated entry is checked through the options key, which holds its text.
    if (input === generated) continue;
    const file = path.resolve(root, input);
    const info = await stat(file);
    inputs[path.relative(root, file)] = { size: info.size, mtimeMs: info.mtimeMs };
  }
  const manifest: Manifest = { key: optionsKey(entry, outfile), inputs };
  await writeAtomically(manifestFileOf(outfile), `${JSON.stringify(manifest)}\n`);
  return { file: outfile, built: true };
}

/** Bundles every service that needs it, at once; then stops esbuild's helper process, which would stay resident. */
export async function bundleServices(
  services: { name: string; entry: BundleEntry; packageDir: string }[],
  root: string,
): Promise<Record<string, { file: string; built: boolean }>> {
  try {
    const results = await Promise.all(services.map((s) => bundleService(s.entry, s.packageDir, root)));
    return Object.fromEntries(services.map((s, i) => [s.name, results[i]!]));
  } finally {
    await esbuild.stop();
  }
}
