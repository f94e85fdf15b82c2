import { readFileSync } from 'node:fs';
import path from 'node:path';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { type FetchNode, type PlanNode, type QueryPlan, QueryPlanner } from '@apollo/query-planner';
import { parse } from 'graphql';
import { inStages, stagedPlanCache } from '../stagedPlans';

/** The community benchmark's supergraph and query (benchmarks/federation). */
const VENDOR = path.resolve(__dirname, '..', '..', '..', '..', 'benchmarks', 'federation', 'vendor');

const fetch = (service: string, kind: 'query' | 'mutation' = 'query') =>
  ({ kind: 'Fetch', serviceName: service, operationKind: kind, operation: `{ ${service} }` }) as unknown as FetchNode;
const at = (service: string) => ({ kind: 'Flatten', path: ['x', '@'], node: fetch(service) }) as PlanNode;
const sequence = (...nodes: PlanNode[]): PlanNode => ({ kind: 'Sequence', nodes });
const parallel = (...nodes: PlanNode[]): PlanNode => ({ kind: 'Parallel', nodes });
const plan = (node: PlanNode): QueryPlan => ({ kind: 'QueryPlan', node });

/** Each fetching step of a plan, with the steps it must follow (those before it in its Sequences). */
function precedence(node: PlanNode, before: PlanNode[] = [], out = new Map<PlanNode, Set<PlanNode>>()): PlanNode[] {
  if (node.kind === 'Fetch' || node.kind === 'Flatten') {
    out.set(node, new Set(before));
    return [node];
  }
  if (node.kind === 'Sequence') {
    let done = [...before];
    const all: PlanNode[] = [];
    for (const child of node.nodes) {
      const steps = precedence(child, done, out);
      done = [...done, ...steps];
      all.push(...steps);
    }
    return all;
  }
  if (node.kind === 'Parallel') return node.nodes.flatMap((child) => precedence(child, before, out));
  throw new Error(`not in these tests: ${node.kind}`);
}

/** The stage of each step of a staged plan (a Sequence of stages, each a Parallel or one step). */
function stagesOf(node: PlanNode): Map<PlanNode, number> {
  const stages = node.kind === 'Sequence' ? node.nodes : [node];
  const out = new Map<PlanNode, number>();
  stages.forEach((stage, index) => {
    for (const step of stage.kind === 'Parallel' ? stage.nodes : [stage]) out.set(step, index);
  });
  return out;
}

/** Subgraph calls a staged plan makes when one stage's entity fetches to a subgraph merge. */
function calls(node: PlanNode): number {
  const stages = node.kind === 'Sequence' ? node.nodes : [node];
  return stages.reduce((total, stage) => {
    const steps = stage.kind === 'Parallel' ? stage.nodes : [stage];
    const entityServices = new Set(
      steps.filter((step) => step.kind === 'Flatten').map((step) => (step.node as FetchNode).serviceName),
    );
    return total + entityServices.size + steps.filter((step) => step.kind === 'Fetch').length;
  }, 0);
}

/** Checks that `staged` holds exactly `original`'s steps, none before one it followed. */
function expectSameStepsInOrder(original: PlanNode, staged: PlanNode): void {
  const follows = new Map<PlanNode, Set<PlanNode>>();
  precedence(original, [], follows);
  const stage = stagesOf(staged);
  expect(new Set(stage.keys())).toEqual(new Set(follows.keys()));
  for (const [step, predecessors] of follows)
    for (const predecessor of predecessors) expect(stage.get(predecessor)!).toBeLessThan(stage.get(step)!);
}

describe('a query plan in stages', () => {
  it('writes the community benchmark’s plan as 4 stages of 8 calls, each fetch after all it followed', () => {
    const supergraph = Supergraph.build(readFileSync(path.join(VENDOR, 'supergraph.graphql'), 'utf8'));
    const { query } = JSON.parse(readFileSync(path.join(VENDOR, 'request.json'), 'utf8')) as { query: string };
    const original = new QueryPlanner(supergraph).buildQueryPlan(
      operationFromDocument(supergraph.apiSchema(), parse(query)),
    );
    const staged = inStages(original);
    const node = staged.node as PlanNode;
    expect(node.kind).toBe('Sequence');
    expect((node as { nodes: PlanNode[] }).nodes).toHaveLength(4);
    expect(calls(node)).toBe(8);
    expectSameStepsInOrder(original.node as PlanNode, node);
    // The very fetch nodes Apollo planned: operations, requirements and rewrites untouched.
    expect(original.node).not.toBe(node);
  });

  it('keeps every fetch after what it followed, in any plan of sequences and parallels', () => {
    // A small deterministic generator (the same plans every run): 120 plans of up to 4 levels.
    let seed = 24;
    const next = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648), seed % n);
    const services = ['a', 'b', 'c'];
    const build = (depth: number): PlanNode => {
      const kind = depth === 0 ? 0 : next(3);
      if (kind === 0) return at(services[next(3)]!);
      const children = Array.from({ length: 2 + next(3) }, () => build(depth - 1));
      return kind === 1 ? sequence(...children) : parallel(...children);
    };
    let rearranged = 0;
    for (let i = 0; i < 120; i++) {
      const original = build(4);
      const staged = inStages(plan(original)).node as PlanNode;
      if (staged === original) continue;
      rearranged += 1;
      expectSameStepsInOrder(original, staged);
    }
    expect(rearranged).toBeGreaterThan(60);
  });

  it('starts each fetch in the first stage after all it followed', () => {
    const [a1, b1, c, b2, a2] = [at('a'), at('b'), at('c'), at('b'), at('a')];
    const staged = inStages(plan(parallel(sequence(a1, b1), sequence(c, b2, a2)))).node as PlanNode;
    // The two fetches to b, second in their branches, now start together (and merge).
    const [first, second, third] = (staged as { nodes: PlanNode[] }).nodes;
    expect((first as { nodes: PlanNode[] }).nodes).toEqual([a1, c]);
    expect((second as { nodes: PlanNode[] }).nodes[0]).toBe(b1);
    expect((second as { nodes: PlanNode[] }).nodes[1]).toBe(b2);
    expect(third).toBe(a2);
  });

  it('leaves alone a plan where no stage merges, a mutation’s, and one with @defer or a condition', () => {
    const unmerged = plan(sequence(fetch('a'), parallel(at('b'), at('c'))));
    expect(inStages(unmerged)).toBe(unmerged);
    const mutation = plan(parallel(sequence(fetch('a', 'mutation'), at('b')), sequence(fetch('c'), at('b'))));
    expect(inStages(mutation)).toBe(mutation);
    const condition = plan(
      parallel(sequence(fetch('a'), at('b')), {
        kind: 'Condition',
        condition: 'v',
        ifClause: sequence(fetch('c'), at('b')),
      } as PlanNode),
    );
    expect(inStages(condition)).toBe(condition);
    const empty: QueryPlan = { kind: 'QueryPlan' };
    expect(inStages(empty)).toBe(empty);
  });
});

describe('the staged plan cache', () => {
  it('stores each plan in stages, and forgets them on clear (a new supergraph)', async () => {
    const cache = stagedPlanCache();
    const original = plan(parallel(sequence(fetch('a'), at('b')), sequence(fetch('c'), at('b'))));
    await cache.set('k', original);
    const stored = await cache.get('k');
    expect(stored?.node).toEqual(sequence(parallel(fetch('a'), fetch('c')), parallel(at('b'), at('b'))));
    cache.clear();
    expect(await cache.get('k')).toBeUndefined();
  });

  it('is bounded by bytes', async () => {
    const cache = stagedPlanCache(2_000);
    for (let i = 0; i < 50; i++) await cache.set(`k${i}`, plan(fetch(`service${i}`)));
    expect(await cache.get('k0')).toBeUndefined();
    expect(await cache.get('k49')).toBeDefined();
  });
});
