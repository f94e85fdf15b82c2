import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getOperationAST, parse } from 'graphql';
import { ANONYMOUS, type CallerIdentity } from '@car-check/service-kit';
import { servedSchemaOf } from '../../supergraph/servedSchema';
import type { ExecutionRequest, Executor } from '../../execution/executor';
import { authorization } from '../authorizeOperation';

const supergraph = readFileSync(path.resolve(__dirname, '../../../../supergraph.graphql'), 'utf8');
const served = servedSchemaOf(supergraph, 20);

/** Runs `query` for `caller` through the authorizing executor over a stand-in for the planner. */
async function run(
  query: string,
  caller: CallerIdentity,
  answer: (source: string) => Record<string, unknown> | null,
  errors?: { message: string; path: string[]; extensions: Record<string, unknown> }[],
  document = parse(query),
) {
  const planned: string[] = [];
  const executor: Executor = async (context) => {
    planned.push(context.source);
    return { data: answer(context.source), errors } as Awaited<ReturnType<Executor>>;
  };
  const result = await authorization.wrap(
    executor,
    () => served,
  )({
    document,
    source: query,
    operation: getOperationAST(document)!,
    queryHash: 'hash',
    request: { query, variables: {} },
    context: { requestId: 'r1', caller },
  } as unknown as ExecutionRequest);
  return { planned, result };
}

const viewerWithoutCostCenters: CallerIdentity = { ...ANONYMOUS, userId: 'u1', scopes: ['car:read'] };

describe('the authorization executor layer', () => {
  it('plans without the denied field and puts its error on its path', async () => {
    const { planned, result } = await run(
      '{ car(id: "1") { id brand costCenter { code } } }',
      viewerWithoutCostCenters,
      () => ({
        car: { id: '1', brand: 'Kia' },
      }),
    );
    expect(planned).toHaveLength(1);
    expect(planned[0]).not.toContain('costCenter');
    expect(result.data).toEqual({ car: { id: '1', brand: 'Kia', costCenter: null } });
    expect(result.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['car', 'costCenter'], 'PERMISSION_DENIED'],
    ]);
  });

  it('finds a denied field inside fragments, spread at several places', async () => {
    const query = `{ a: car(id: "1") { ...C } b: car(id: "2") { ...C } }
      fragment C on Car { id ...D } fragment D on Car { costCenter { code } }`;
    const { planned, result } = await run(query, viewerWithoutCostCenters, () => ({ a: { id: '1' }, b: { id: '2' } }));
    expect(planned[0]).not.toContain('costCenter');
    expect(result.errors?.map((e) => e.path)).toEqual([
      ['a', 'costCenter'],
      ['b', 'costCenter'],
    ]);
  });

  it('an anonymous caller gets UNAUTHENTICATED, and an allowed caller is passed through untouched', async () => {
    const anonymous = await run('{ car(id: "1") { id } }', ANONYMOUS, () => ({}));
    expect(anonymous.result.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    const query = '{ car(id: "1") { id costCenter { code } } }';
    const admin = await run(query, { ...viewerWithoutCostCenters, scopes: ['car:read', 'cost-center:read'] }, () => ({
      car: { id: '1', costCenter: { code: 'X' } },
    }));
    expect(admin.planned).toEqual([query]);
    expect(admin.result.errors).toBeUndefined();
  });

  it('decides for each kind of caller, however often the gateway hands it the same document', async () => {
    // The documents stage gives Apollo one DocumentNode per text: what is remembered of it is per caller.
    const query = '{ car(id: "1") { id costCenter { code } } }';
    const document = parse(query);
    const admin = { ...viewerWithoutCostCenters, scopes: ['car:read', 'cost-center:read'] };
    const answer = () => ({ car: { id: '1', costCenter: { code: 'X' } } });
    const callers = [admin, viewerWithoutCostCenters, ANONYMOUS, admin, viewerWithoutCostCenters, ANONYMOUS];
    const codes: unknown[] = [];
    const plans: string[][] = [];
    for (const caller of callers) {
      const { planned, result } = await run(query, caller, answer, undefined, document);
      codes.push(result.errors?.map((e) => e.extensions?.code) ?? []);
      plans.push(planned);
    }
    expect(codes).toEqual([
      [],
      ['PERMISSION_DENIED'],
      ['UNAUTHENTICATED'],
      [],
      ['PERMISSION_DENIED'],
      ['UNAUTHENTICATED'],
    ]);
    expect(plans[0]).toEqual([query]);
    expect(plans[1]![0]).not.toContain('costCenter');
    expect(plans[4]).toEqual(plans[1]);
  });

  it('reports root denials beside the error that nulled the whole response (found by the hostile-request test)', async () => {
    const subgraphError = {
      message: 'first must be positive',
      path: ['cars'],
      extensions: { code: 'INVALID_ARGUMENT' },
    };
    const { result } = await run(
      '{ cars(first: -1) { totalCount } users { totalCount } }',
      viewerWithoutCostCenters,
      () => null,
      [subgraphError],
    );
    expect(result.data).toBeNull();
    expect(result.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['cars'], 'INVALID_ARGUMENT'],
      [['users'], 'PERMISSION_DENIED'],
    ]);
  });
});
