import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundleFileOf, bundleServices } from '../serviceBundle';
import { subgraphHostEntry } from '../subgraphHost';

/**
 * npm start's bundles: each source file keeps its own __dirname (services find their
 * package, SDL and migrations from there), and a bundle is rebuilt only when a file it
 * was made from changed.
 */
describe('service bundles for npm start', () => {
  let root: string;
  let packageDir: string;
  let entry: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'car-check-bundle-'));
    packageDir = path.join(root, 'services', 'demo');
    entry = path.join(packageDir, 'src', 'index.ts');
    await mkdir(path.join(packageDir, 'src', 'lib'), { recursive: true });
    await writeFile(path.join(root, 'tsconfig.json'), '{}\n');
    await writeFile(path.join(packageDir, 'src', 'lib', 'where.ts'), 'export const where: string = __dirname;\n');
    await writeFile(
      entry,
      "import { where } from './lib/where';\nconsole.log(JSON.stringify({ entry: __dirname, lib: where }));\n",
    );
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const bundle = async () => (await bundleServices([{ name: 'demo', entry, packageDir }], root)).demo!;

  it('runs as plain node, each module seeing the folder of its source as __dirname', async () => {
    const { file, built } = await bundle();
    expect(built).toBe(true);
    expect(file).toBe(bundleFileOf(packageDir));
    const { stdout } = await promisify(execFile)(process.execPath, [file]);
    expect(JSON.parse(stdout)).toEqual({
      entry: path.join(packageDir, 'src'),
      lib: path.join(packageDir, 'src', 'lib'),
    });
  });

  it('is rebuilt only when a source it was made from changed', async () => {
    expect((await bundle()).built).toBe(true);
    expect((await bundle()).built).toBe(false);
    await writeFile(path.join(packageDir, 'src', 'lib', 'where.ts'), 'export const where: string = "elsewhere";\n');
    expect((await bundle()).built).toBe(true);
    const { stdout } = await promisify(execFile)(process.execPath, [bundleFileOf(packageDir)]);
    expect(JSON.parse(stdout)).toEqual({ entry: path.join(packageDir, 'src'), lib: 'elsewhere' });
  });

  it('bundles a generated entry (the subgraph host): its imports resolve from the root, and a change to one rebuilds it', async () => {
    const definitions = ['one', 'two'].map((name) => path.join(root, 'services', name, 'src', 'definition.ts'));
    for (const [index, file] of definitions.entries()) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(
        file,
        `export const definition = { name: ${JSON.stringify(`service ${index}`)}, dir: __dirname };\n`,
      );
    }
    // What subgraphHostEntry writes, against a stand-in for hostSubgraphs (the real one boots subgraphs).
    await mkdir(path.join(root, 'node_modules', '@car-check', 'subgraph-kit'), { recursive: true });
    await writeFile(
      path.join(root, 'node_modules', '@car-check', 'subgraph-kit', 'index.js'),
      'exports.hostSubgraphs = (definitions) => console.log(JSON.stringify(definitions));\n',
    );
    const hostDir = path.join(root, 'services');
    const host = async (files: string[]) =>
      (await bundleServices([{ name: 'host', entry: subgraphHostEntry(files, root), packageDir: hostDir }], root))
        .host!;
    const run = async () => JSON.parse((await promisify(execFile)(process.execPath, [bundleFileOf(hostDir)])).stdout);

    expect((await host(definitions)).built).toBe(true);
    expect(await run()).toEqual([
      { name: 'service 0', dir: path.join(root, 'services', 'one', 'src') },
      { name: 'service 1', dir: path.join(root, 'services', 'two', 'src') },
    ]);
    expect((await host(definitions)).built).toBe(false);
    // A subgraph's source changed: rebuilt.
    await writeFile(definitions[1]!, 'export const definition = { name: "renamed" };\n');
    expect((await host(definitions)).built).toBe(true);
    expect(await run()).toEqual([expect.objectContaining({ name: 'service 0' }), { name: 'renamed' }]);
    // One subgraph fewer in supergraph.yaml: the generated text changed, so rebuilt.
    expect((await host(definitions.slice(0, 1))).built).toBe(true);
    expect(await run()).toEqual([expect.objectContaining({ name: 'service 0' })]);
  });
});
