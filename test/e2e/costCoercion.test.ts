import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import {
  getNamedType,
  getOperationAST,
  Kind,
  parse,
  type GraphQLObjectType,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { loadGatewayConfig } from '../../gateway/src/config';
import { measureOperation } from '../../gateway/src/limits/measure';
import { coerceVariables, listLength } from '../../gateway/src/limits/pageSize';
import { servedSchemaOf, type ServedSchema } from '../../gateway/src/supergraph/servedSchema';
import { ONE_BACKEND } from '@car-check/test-support/config';
import { startGraph, type TestGraph } from '@car-check/test-support/graph';
import { freshClientAddress, sendRaw, type RawResponse } from '@car-check/test-support/rawHttp';
import { sha256Hex } from '@car-check/test-support/sha256';

const backend = ONE_BACKEND;

interface Answer {
  data?: unknown;
  errors?: { message: string; extensions: Record<string, unknown> }[];
}

// The issue's request: a viewer's 50 aliases whose page sizes come from `$n`. Its default
// prices it at nothing; an explicit null makes every subgraph use its default page (20), so
// it is really worth 50 × (1 + 20 × (3 + 1 + 20 × 2)) = 44,050.
const ALIASED = `query Fleet($n: Int = 0) { ${Array.from(
  { length: 50 },
  (_, i) =>
    `a${i}: cars(first: $n) { edges { node { id brand costCenter { code cars(first: $n) { edges { node { id } } } } } } }`,
).join(' ')} }`;

describe(`the cost of a request is measured on its variables as execution coerces them (${backend})`, () => {
  let graph: TestGraph;
  let served: ServedSchema;

  beforeAll(async () => {
    graph = await startGraph(backend, { seed: true, gatewayEnv: { RATE_LIMIT_PER_MINUTE: '100000' } });
    const { queryLimits, supergraphPath } = loadGatewayConfig({});
    served = servedSchemaOf(await readFile(supergraphPath, 'utf8'), queryLimits.defaultListSize);
  });
  afterAll(async () => {
    await graph?.stop();
  });

  const base = () => graph.gatewayUrl.replace(/\/graphql$/, '');
  const post = (body: unknown, headers: Record<string, string>) =>
    sendRaw(base(), {
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
      localAddress: freshClientAddress(),
    });
  const get = (params: Record<string, string>, headers: Record<string, string>) =>
    sendRaw(base(), {
      method: 'GET',
      path: `/graphql?${new URLSearchParams(params).toString()}`,
      headers: { 'apollo-require-preflight': 'true', ...headers },
      localAddress: freshClientAddress(),
    });
  const expectTooCostly = (response: RawResponse) => {
    const answer = response.json as Answer;
    expect({
      status: response.status,
      code: answer.errors?.[0]?.extensions.code,
      served: answer.data !== undefined,
    }).toEqual({
      status: 422,
      code: 'RESOURCE_EXHAUSTED',
      served: false,
    });
    expect(answer.errors?.[0]?.message).toMatch(/Estimated query cost 44050 exceeds the limit of 10000/);
  };

  describe('a viewer’s 50 aliases with an explicit null page size are refused', () => {
    let viewer: Record<string, string>;
    beforeAll(async () => {
      viewer = { authorization: `Bearer ${await graph.login('viewer')}` };
    });

    it('over POST', async () => {
      expectTooCostly(await post({ query: ALIASED, variables: { n: null } }, viewer));
    });

    it('over GET', async () => {
      expectTooCostly(await get({ query: ALIASED, variables: JSON.stringify({ n: null }) }, viewer));
    });

    it('as an automatic persisted query, sent with its text and then by hash, over POST and GET', async () => {
      const extensions = { persistedQuery: { version: 1, sha256Hash: sha256Hex(ALIASED) } };
      expectTooCostly(await post({ query: ALIASED, variables: { n: null }, extensions }, viewer));
      // Registered with a harmless page size: empty pages, priced and served.
      const registered = await post({ query: ALIASED, variables: { n: 0 }, extensions }, viewer);
      expect(registered.status).toBe(200);
      expect((registered.json as Answer).errors).toBeUndefined();
      expectTooCostly(await post({ variables: { n: null }, extensions }, viewer));
      expectTooCostly(
        await get({ variables: JSON.stringify({ n: null }), extensions: JSON.stringify(extensions) }, viewer),
      );
    });

    it('and with the variable left out, its default of 0 is what runs: empty pages, served', async () => {
      const response = await post({ query: ALIASED }, viewer);
      expect(response.status).toBe(200);
      const data = (response.json as { data: Record<string, { edges: unknown[] }> }).data;
      expect(Object.values(data).every((connection) => connection.edges.length === 0)).toBe(true);
    });
  });

  describe('property: the estimate is never below what the subgraphs return', () => {
    it('across generated queries and variables (explicit and literal nulls, omitted variables, defaults)', async () => {
      const admin = { authorization: `Bearer ${await graph.login('admin')}` };
      let compared = 0;
      await fc.assert(
        fc.asyncProperty(generatedRequest(), async (request) => {
          const response = await post({ query: request.query, variables: request.variables }, admin);
          const answer = response.json as Answer;
          if (response.status !== 200 || !answer.data) {
            // Refused (a non-null variable sent null, or over the cost limit): nothing ran, nothing to compare.
            expect(answer.errors?.length).toBeGreaterThan(0);
            return;
          }
          const document = parse(request.query);
          const operation = getOperationAST(document)!;
          const observed = observe(served, operation, request.variables, answer.data);
          expect(observed.pages.filter((page) => page.estimated < page.returned)).toEqual([]);
          const estimate = measureOperation(served.schema, served.costModel, document, operation, request.variables);
          expect(estimate.cost).toBeGreaterThanOrEqual(observed.cost);
          compared++;
        }),
        { seed: 20, numRuns: 40 },
      );
      // Most generated requests run (only non-null variables sent null, and rare over-cost ones, are refused).
      expect(compared).toBeGreaterThanOrEqual(20);
    }, 180_000);
  });
});

// --- generated requests over the real graph -----------------------------------------------------

/** How one page argument is written. */
type PageArgument =
  | { kind: 'absent' }
  | { kind: 'literal'; value: number | null }
  | { kind: 'variable'; declaredDefault: number | null | undefined; nonNull: boolean; sent: number | null | undefined };

interface Connection {
  field: 'cars' | 'costCenters' | 'users';
  page: PageArgument;
  /** A nested connection under each node (`costCenters → cars`, `cars → costCenter.cars`). */
  nested: Connection | null;
}

const pageArgument: fc.Arbitrary<PageArgument> = fc.oneof(
  fc.constant<PageArgument>({ kind: 'absent' }),
  fc.record({ kind: fc.constant('literal' as const), value: fc.option(fc.nat(4), { nil: null }) }),
  fc.record({
    kind: fc.constant('variable' as const),
    declaredDefault: fc.oneof(fc.constant(undefined), fc.constant(null), fc.nat(4)),
    nonNull: fc.boolean(),
    sent: fc.oneof(fc.constant(undefined), fc.constant(null), fc.nat(4)),
  }),
);

const connection = (depth: number): fc.Arbitrary<Connection> =>
  fc.record({
    field: fc.constantFrom('cars' as const, 'costCenters' as const, 'users' as const),
    page: pageArgument,
    nested: depth < 1 ? fc.option(connection(depth + 1), { nil: null }) : fc.constant(null),
  });

function generatedRequest(): fc.Arbitrary<{ query: string; variables: Record<string, unknown> }> {
  return fc.array(connection(0), { minLength: 1, maxLength: 3 }).map((tree) => {
    const declarations: string[] = [];
    const variables: Record<string, unknown> = {};
    const argument = (page: PageArgument): string => {
      if (page.kind === 'absent') return '';
      if (page.kind === 'literal') return `(first: ${page.value ?? 'null'})`;
      const name = `v${declarations.length}`;
      const fallback = page.declaredDefault === undefined ? '' : ` = ${page.declaredDefault ?? 'null'}`;
      declarations.push(`$${name}: Int${page.nonNull ? '!' : ''}${fallback}`);
      if (page.sent !== undefined) variables[name] = page.sent;
      return `(first: $${name})`;
    };
    // Only a cost center has cars under it: a car reaches them through its cost center.
    const render = (c: Connection, alias: string): string => {
      const inner = c.nested ? ` ${nestedUnder(c.field, render(c.nested, `${alias}n`))}` : '';
      return `${alias}: ${c.field}${argument(c.page)} { edges { node { id${inner} } } }`;
    };
    const body = tree.map((c, i) => render(c, `c${i}`)).join(' ');
    const query = `query${declarations.length ? `(${declarations.join(', ')})` : ''} { ${body} }`;
    return { query, variables };
  });
}

/** Where a nested connection is written under a node of `parent`. */
function nestedUnder(parent: Connection['field'], selection: string): string {
  if (parent === 'cars') return `costCenter { ${selection.replace(/: (users|costCenters)\b/, ': cars')} }`;
  if (parent === 'users') return `managedCostCenters { ${selection.replace(/: (users|costCenters)\b/, ': cars')} }`;
  return selection.replace(/: (users|costCenters)\b/, ': cars');
}

interface Observed {
  /** The cost model applied to what came back: every object returned costs 1, leaves nothing (the graph declares no weights). */
  cost: number;
  /** Each connection returned: the page size the measure assumed for it and how many edges it held. */
  pages: { path: string; estimated: number; returned: number }[];
}

/** Walks the response along the operation (inline selections only, as generated), with the measure's own page sizes. */
function observe(
  served: ServedSchema,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  data: unknown,
): Observed {
  const coerced = coerceVariables(served.schema, operation, variables);
  const observed: Observed = { cost: 0, pages: [] };
  const walk = (
    selectionSet: SelectionSetNode,
    type: GraphQLObjectType,
    value: Record<string, unknown>,
    path: string,
  ) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind !== Kind.FIELD || !selection.selectionSet) continue;
      const key = selection.alias?.value ?? selection.name.value;
      const field = type.getFields()[selection.name.value]!;
      const childType = getNamedType(field.type) as GraphQLObjectType;
      const listSize = served.costModel.listSizes.get(`${type.name}.${field.name}`);
      const child = value[key];
      if (listSize?.sizedFields.length && child) {
        const edges = (child as { edges: unknown[] }).edges;
        observed.pages.push({
          path: `${path}.${key}`,
          estimated: listLength(served.costModel, field, selection, listSize, coerced),
          returned: edges.length,
        });
      }
      for (const element of Array.isArray(child) ? child : child ? [child] : []) {
        observed.cost += 1;
        walk(selection.selectionSet, childType, element as Record<string, unknown>, `${path}.${key}`);
      }
    }
  };
  walk(operation.selectionSet, served.schema.getQueryType()!, data as Record<string, unknown>, '');
  return observed;
}
