import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { checkSubgraph, formatReport, isBlocking, type CheckReport } from '../../scripts/lib/schemaCheck';
import { REPO_ROOT } from '../../scripts/lib/compose';

const CAR_SDL = path.join(REPO_ROOT, 'subgraphs', 'car', 'schema.graphql');

describe('npm run check: would a subgraph change break the graph?', () => {
  let dir: string;
  let carSdl: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'schema-check-'));
    carSdl = await readFile(CAR_SDL, 'utf8');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Checks the car subgraph with its SDL changed by `edit`. */
  async function checkCar(edit: (sdl: string) => string): Promise<CheckReport> {
    const edited = edit(carSdl);
    expect(edited).not.toBe(carSdl);
    const file = path.join(dir, `car-${Math.random().toString(36).slice(2)}.graphql`);
    await writeFile(file, edited);
    return checkSubgraph({ subgraph: 'car', schemaFile: file });
  }

  it('passes an additive change', async () => {
    const report = await checkCar((sdl) => sdl.replace('  brand: String!\n', '  brand: String!\n  "Paint colour."\n  color: String\n'));
    expect(report.compositionErrors).toEqual([]);
    expect(report.breaking).toEqual([]);
    expect(report.brokenOperations).toEqual([]);
    expect(isBlocking(report, false)).toBe(false);
  });

  it("reads the web app's operations too: a change that breaks one fails, naming it and its file", async () => {
    const report = await checkCar((sdl) => sdl.replace("  \"The car model's version or trim, e.g. `TCe 90`.\"\n  version: String\n", ''));
    const broken = report.brokenOperations.map((op) => `${op.name} (${op.file})`);
    expect(broken).toEqual(expect.arrayContaining(['FleetCars (web/src/operations/cars.graphql)', 'CarDetails (web/src/operations/cars.graphql)']));
    expect(isBlocking(report, false)).toBe(true);
    expect(formatReport(report)).toMatch(/FleetCars \(web\/src\/operations\/cars\.graphql\): Cannot query field "version" on type "Car"/);
  });

  it('points a syntax error at its file, line and column', async () => {
    const report = await checkCar((sdl) => sdl.replace('  brand: String!\n', '  brand: String!\n  broken(: Int\n'));
    const line = carSdl.split('\n').findIndex((text) => text === '  brand: String!') + 2;
    expect(report.compositionErrors).toEqual([expect.stringMatching(new RegExp(`^\\[car\\] .*car-[a-z0-9]+\\.graphql:${line}:10: Syntax Error`))]);
  });

  it('fails removing a field, naming it and the client operations it breaks', async () => {
    const report = await checkCar((sdl) => sdl.replace('  brand: String!\n', ''));
    expect(report.breaking).toEqual([
      { type: 'FIELD_REMOVED', path: 'Car.brand', description: "Field 'brand' was removed from object type 'Car'" },
    ]);
    expect(report.brokenOperations.map((op) => op.name)).toContain('CarsWithCostCenters');
    expect(isBlocking(report, false)).toBe(true);
    expect(isBlocking(report, true)).toBe(false);
    expect(formatReport(report)).toMatch(/Car\.brand: Field 'brand' was removed from object type 'Car'/);
  });

  it('reports an output field made nullable as dangerous, not breaking', async () => {
    const report = await checkCar((sdl) => sdl.replace('  model: String!\n', '  model: String\n'));
    expect(report.breaking).toEqual([]);
    expect(report.dangerous).toContainEqual({
      type: 'FIELD_MADE_NULLABLE',
      path: 'Car.model',
      description: 'Car.model may now be null (was String!, now String).',
    });
    expect(isBlocking(report, false)).toBe(false);
  });

  it("fails changing a field's type", async () => {
    const report = await checkCar((sdl) => sdl.replace('  version: String\n', '  version: Int\n'));
    expect(report.breaking).toEqual([
      { type: 'FIELD_TYPE_CHANGED', path: 'Car.version', description: "Field 'Car.version' changed type from 'String' to 'Int'" },
    ]);
  });

  it('fails making an argument required', async () => {
    const report = await checkCar((sdl) => sdl.replace('car(id: ID!): Car', 'car(id: ID!, fleet: String!): Car'));
    expect(report.breaking).toEqual([
      { type: 'FIELD_ARGUMENT_ADDED', path: 'Query.car.fleet', description: "Argument 'fleet: String!' added to field 'Query.car'" },
    ]);
  });

  it('fails a composition conflict: two subgraphs resolving the same non-shareable field', async () => {
    const report = await checkCar((sdl) => `${sdl}\ntype User @key(fields: "id") {\n  id: ID!\n  username: String!\n}\n`);
    expect(report.compositionErrors.join('\n')).toMatch(/INVALID_FIELD_SHARING.*"User\.username"/);
    expect(isBlocking(report, true)).toBe(true);
  });

  it('reports a tightened authorization requirement as dangerous', async () => {
    const report = await checkCar((sdl) =>
      sdl.replace('car(id: ID!): Car @requiresScopes(scopes: [["car:read"]])', 'car(id: ID!): Car @requiresScopes(scopes: [["car:write"]])'),
    );
    expect(report.breaking).toEqual([]);
    expect(report.dangerous).toEqual([
      { type: 'AUTHORIZATION_CHANGED', path: 'Query.car', description: 'Query.car required car:read, now requires car:write.' },
    ]);
  });

  it('the command exits non-zero on a breaking change and prints JSON on request', async () => {
    const file = path.join(dir, 'breaking.graphql');
    await writeFile(file, carSdl.replace('  model: String!\n', ''));
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/check.ts', '--subgraph', 'car', '--schema', file, '--json'], {
      cwd: REPO_ROOT,
    });
    const failure = (await run.then(() => null, (error: unknown) => error)) as { code: number; stdout: string } | null;
    expect(failure?.code).toBe(1);
    const report = JSON.parse(failure!.stdout) as CheckReport & { ok: boolean };
    expect(report.ok).toBe(false);
    expect(report.breaking).toEqual([
      { type: 'FIELD_REMOVED', path: 'Car.model', description: "Field 'model' was removed from object type 'Car'" },
    ]);
  });
});
