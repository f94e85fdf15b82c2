import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { graphql, type GraphQLSchema } from 'graphql';
import { checkSubgraph, formatReport, isBlocking, type CheckReport } from '../../scripts/lib/schemaCheck';
import { compose, readSupergraphConfig, REPO_ROOT } from '../../scripts/lib/compose';
import { apiSchemaOf } from '../../gateway/src/supergraph/servedSchema';
import { committedSupergraph } from '../../scripts/lib/publishedSupergraph';

const CAR_SDL = path.join(REPO_ROOT, 'subgraphs', 'car', 'schema.graphql');
const run = promisify(execFile);
const withoutVersion = (sdl: string) =>
  sdl.replace('  "The car model\'s version or trim, e.g. `TCe 90`."\n  version: String\n', '');

/** The supergraph `npm run dev` writes after the car's SDL was edited by `edit`. */
async function recomposedWithCar(edit: (sdl: string) => string): Promise<string> {
  const sources = await readSupergraphConfig();
  const car = sources.find((source) => source.name === 'car')!;
  car.sdl = edit(car.sdl);
  const outcome = compose(sources);
  if (!outcome.ok) throw new Error(outcome.errors.join('\n'));
  return outcome.supergraphSdl;
}

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
    const report = await checkCar((sdl) =>
      sdl.replace('  brand: String!\n', '  brand: String!\n  "Paint colour."\n  color: String\n'),
    );
    expect(report.compositionErrors).toEqual([]);
    expect(report.breaking).toEqual([]);
    expect(report.brokenOperations).toEqual([]);
    expect(isBlocking(report, false)).toBe(false);
  });

  it("reads the web app's operations too: a change that breaks one fails, naming it and its file", async () => {
    const report = await checkCar((sdl) =>
      sdl.replace('  "The car model\'s version or trim, e.g. `TCe 90`."\n  version: String\n', ''),
    );
    const broken = report.brokenOperations.map((op) => `${op.name} (${op.file})`);
    expect(broken).toEqual(
      expect.arrayContaining([
        'FleetCars (web/src/operations/cars.graphql)',
        'CarDetails (web/src/operations/cars.graphql)',
      ]),
    );
    expect(isBlocking(report, false)).toBe(true);
    expect(formatReport(report)).toMatch(
      /FleetCars \(web\/src\/operations\/cars\.graphql\): Cannot query field "version" on type "Car"/,
    );
  });

  it('points a syntax error at its file, line and column', async () => {
    const report = await checkCar((sdl) => sdl.replace('  brand: String!\n', '  brand: String!\n  broken(: Int\n'));
    const line = carSdl.split('\n').findIndex((text) => text === '  brand: String!') + 2;
    expect(report.compositionErrors).toEqual([
      expect.stringMatching(new RegExp(`^\\[car\\] .*car-[a-z0-9]+\\.graphql:${line}:10: Syntax Error`)),
    ]);
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
      {
        type: 'FIELD_TYPE_CHANGED',
        path: 'Car.version',
        description: "Field 'Car.version' changed type from 'String' to 'Int'",
      },
    ]);
  });

  it('fails making an argument required', async () => {
    const report = await checkCar((sdl) => sdl.replace('car(id: ID!): Car', 'car(id: ID!, fleet: String!): Car'));
    expect(report.breaking).toEqual([
      {
        type: 'FIELD_ARGUMENT_ADDED',
        path: 'Query.car.fleet',
        description: "Argument 'fleet: String!' added to field 'Query.car'",
      },
    ]);
  });

  it('fails a composition conflict: two subgraphs resolving the same non-shareable field', async () => {
    const report = await checkCar(
      (sdl) => `${sdl}\ntype User @key(fields: "id") {\n  id: ID!\n  username: String!\n}\n`,
    );
    expect(report.compositionErrors.join('\n')).toMatch(/INVALID_FIELD_SHARING.*"User\.username"/);
    expect(isBlocking(report, true)).toBe(true);
  });

  it('fails a supergraph the gateway would refuse: a security feature it does not enforce (@policy)', async () => {
    // By its qualified name: the @link that imports Federation's directives is the shared one.
    const report = await checkCar((sdl) =>
      sdl.replace('  brand: String!\n', '  brand: String! @federation__policy(policies: [["fleet"]])\n'),
    );
    expect(report.compositionErrors).toEqual([
      expect.stringMatching(/^The gateway would refuse this supergraph: .*policy/),
    ]);
    expect(isBlocking(report, false)).toBe(true);
  });

  it('reports a tightened authorization requirement as dangerous', async () => {
    const report = await checkCar((sdl) =>
      sdl.replace(
        'car(id: ID!): Car @requiresScopes(scopes: [["car:read"]])',
        'car(id: ID!): Car @requiresScopes(scopes: [["car:write"]])',
      ),
    );
    expect(report.breaking).toEqual([]);
    expect(report.dangerous).toEqual([
      {
        type: 'AUTHORIZATION_CHANGED',
        path: 'Query.car',
        description: 'Query.car required car:read, now requires car:write.',
      },
    ]);
  });

  it('does not call a new field with a requirement an authorization change: no client was refused by it', async () => {
    const report = await checkCar((sdl) =>
      sdl.replace(
        'type Query {\n',
        'type Query {\n  "How many cars."\n  carCount: Int @requiresScopes(scopes: [["car:read"]])\n',
      ),
    );
    expect(report.breaking).toEqual([]);
    expect(report.dangerous).toEqual([]);
  });

  it('the command exits non-zero on a breaking change and prints JSON on request', async () => {
    const file = path.join(dir, 'breaking.graphql');
    await writeFile(file, carSdl.replace('  model: String!\n', ''));
    const run = promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/check.ts', '--subgraph', 'car', '--schema', file, '--json'],
      {
        cwd: REPO_ROOT,
      },
    );
    const failure = (await run.then(
      () => null,
      (error: unknown) => error,
    )) as { code: number; stdout: string } | null;
    expect(failure?.code).toBe(1);
    const report = JSON.parse(failure!.stdout) as CheckReport & { ok: boolean };
    expect(report.ok).toBe(false);
    expect(report.breaking).toEqual([
      { type: 'FIELD_REMOVED', path: 'Car.model', description: "Field 'model' was removed from object type 'Car'" },
    ]);
  });
});

describe('npm run check compares with the last published supergraph', () => {
  let dir: string;
  let carSdl: string;
  let editedCar: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'schema-baseline-'));
    carSdl = await readFile(CAR_SDL, 'utf8');
    editedCar = path.join(dir, 'car-without-version.graphql');
    await writeFile(editedCar, withoutVersion(carSdl));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('never says "no breaking changes" next to client operations that would break', async () => {
    // What `npm run dev` left on disk: the supergraph already recomposed without Car.version.
    const rewritten = path.join(dir, 'rewritten-supergraph.graphql');
    await writeFile(rewritten, await recomposedWithCar(withoutVersion));
    const report = await checkSubgraph({ subgraph: 'car', schemaFile: editedCar, against: rewritten });
    expect(report.breaking).toEqual([]);
    expect(report.brokenOperations.map((op) => op.name)).toContain('FleetCars');
    const text = formatReport(report);
    expect(text).not.toMatch(/no breaking/i);
    const [broken, checked] = [report.brokenOperations.length, report.operationsChecked];
    expect(text.split('\n').at(-1)).toBe(
      `✖ BREAKING for clients: 0 breaking schema change(s); ${broken} of ${checked} client operation(s) would break.`,
    );
    expect(isBlocking(report, false)).toBe(true);
  });

  it('by default, the committed supergraph: removing Car.version is a breaking change, and the verdict says so', async () => {
    const report = await checkSubgraph({ subgraph: 'car', schemaFile: editedCar });
    expect(report.against).toBe('HEAD:supergraph.graphql');
    expect(report.breaking).toEqual([
      { type: 'FIELD_REMOVED', path: 'Car.version', description: "Field 'version' was removed from object type 'Car'" },
    ]);
    expect(formatReport(report).split('\n').at(-1)).toMatch(
      /^✖ BREAKING for clients: 1 breaking schema change\(s\); [1-9]\d* of/,
    );
    expect(formatReport(report, true).split('\n').at(-1)).toMatch(/\(allowed by --allow-breaking\)$/);
  });

  it("reads HEAD's supergraph in a git checkout, not the working-tree file dev rewrote", async () => {
    const repo = await mkdtemp(path.join(dir, 'repo-'));
    const file = path.join(repo, 'supergraph.graphql');
    const committed = await readFile(path.join(REPO_ROOT, 'supergraph.graphql'), 'utf8');
    await writeFile(file, committed);
    const git = (...args: string[]) =>
      run('git', ['-C', repo, '-c', 'user.name=test', '-c', 'user.email=test@localhost', ...args]);
    await git('init', '-q');
    await git('add', 'supergraph.graphql');
    await git('commit', '-qm', 'published');
    await writeFile(file, await recomposedWithCar(withoutVersion));

    const published = await committedSupergraph(file);
    expect(published).toMatchObject({ committed: true, supergraphSdl: committed });
    expect(published.source).toMatch(/^HEAD:.*supergraph\.graphql$/);
    expect(published.note).toMatch(/differs from HEAD's; HEAD's is the baseline/);
  });

  it('reads the file itself outside a git checkout, and says so', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'not-a-checkout-'));
    try {
      const file = path.join(outside, 'supergraph.graphql');
      await writeFile(file, await recomposedWithCar(withoutVersion));
      const published = await committedSupergraph(file);
      expect(published.committed).toBe(false);
      expect(published.note).toMatch(/not in a git checkout/);
      expect(published.apiSchema.getType('Car')?.toString()).toBe('Car');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  describe('--against a running gateway (introspection of its GraphQL URL)', () => {
    let server: http.Server;
    let url: string;
    /** What the stand-in gateway serves; null refuses introspection as a production gateway does. */
    let served: GraphQLSchema | null;

    beforeAll(async () => {
      server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          const { query } = JSON.parse(body) as { query: string };
          const answer = served
            ? graphql({ schema: served, source: query })
            : Promise.resolve({ errors: [{ message: 'GraphQL introspection is not allowed' }] });
          void answer.then((result) => {
            res.writeHead(served ? 200 : 400, { 'content-type': 'application/json' });
            res.end(JSON.stringify(result));
          });
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('compares with the schema the gateway serves', async () => {
      served = apiSchemaOf(await readFile(path.join(REPO_ROOT, 'supergraph.graphql'), 'utf8'));
      const unchanged = await checkSubgraph({ subgraph: 'car', against: url });
      expect(unchanged).toMatchObject({
        against: `the gateway at ${url}`,
        breaking: [],
        dangerous: [],
        safe: [],
        brokenOperations: [],
      });
      expect(unchanged.notes).toEqual([expect.stringMatching(/^Authorization changes not compared/)]);

      const removed = await checkSubgraph({ subgraph: 'car', schemaFile: editedCar, against: url });
      expect(removed.breaking.map((change) => change.path)).toEqual(['Car.version']);
    });

    it('says in one line when the gateway refuses introspection', async () => {
      served = null;
      await expect(checkSubgraph({ subgraph: 'car', against: url })).rejects.toThrow(
        /^The gateway at \S+ did not answer introspection \(GraphQL introspection is not allowed\); enable it there/,
      );
    });
  });
});
