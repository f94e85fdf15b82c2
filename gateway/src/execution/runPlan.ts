// Apollo Gateway's own merge and type test, so that data is merged exactly as its executor merges it
// (not re-exported by the package's index).
import { isObjectOfType } from '@apollo/gateway/dist/dataRewrites';
import { deepMerge } from '@apollo/gateway/dist/utilities/deepMerge';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { FetchNode, PlanNode, QueryPlanSelectionNode } from '@apollo/query-planner';
import { Kind, type GraphQLSchema } from 'graphql';

/** Where a fetch's data goes in the answer: field names, `@` for every element of a list. */
export type ResponsePath = (string | number)[];

/** Sends one fetch of the plan, as Apollo Gateway's executor would send it: to `fetch.serviceName`, with `variables`. */
export type PlanFetcher = (
  fetch: FetchNode,
  variables: Record<string, unknown>,
  path: ResponsePath,
) => Promise<GatewayGraphQLResponse>;

/** What running a plan gave: the merged data, and whether anything went other than plainly. */
export interface PlanRun {
  /** Every fetch's data merged as Apollo Gateway's executor merges it (before its result shaping). */
  readonly data: Record<string, unknown>;
  /**
   * False when any fetch failed, answered errors or no data, or gave `_entities` Apollo's executor
   * would refuse: Apollo's executor must then make the answer (its errors, their paths).
   */
  readonly clean: boolean;
}

/**
 * Whether `node` is a plan this executor runs as Apollo Gateway's executor would: sequences,
 * parallels, conditions (`@include`/`@skip` on a variable) and query fetches (root fetches, and
 * entity fetches under a flatten), without @defer, subscriptions or data rewrites (the planner's
 * aliases of clashing fields, @interfaceObject, @context), which are left to Apollo's.
 */
export function runnablePlan(node: PlanNode | undefined, underFlatten = false): boolean {
  switch (node?.kind) {
    case 'Sequence':
    case 'Parallel':
      return !underFlatten && node.nodes.length > 0 && node.nodes.every((child) => runnablePlan(child));
    case 'Flatten':
      return !underFlatten && node.node.kind === 'Fetch' && runnablePlan(node.node, true);
    case 'Condition':
      return (
        !underFlatten &&
        (node.ifClause === undefined || runnablePlan(node.ifClause)) &&
        (node.elseClause === undefined || runnablePlan(node.elseClause))
      );
    case 'Fetch':
      return (
        node.operationKind === 'query' &&
        !node.hasDefers &&
        !node.inputRewrites?.length &&
        !node.outputRewrites?.length &&
        !node.contextRewrites?.length &&
        // A root fetch has no representations to send; an entity fetch is always under a flatten.
        underFlatten === Boolean(node.requires)
      );
    default:
      return false;
  }
}

/** The fetches of a runnable plan. */
export function fetchesOf(node: PlanNode): FetchNode[] {
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return node.nodes.flatMap(fetchesOf);
    case 'Flatten':
      return fetchesOf(node.node);
    case 'Condition':
      return [
        ...(node.ifClause ? fetchesOf(node.ifClause) : []),
        ...(node.elseClause ? fetchesOf(node.elseClause) : []),
      ];
    case 'Fetch':
      return [node];
    default:
      return [];
  }
}

interface Cursor {
  path: ResponsePath;
  data: unknown;
}

interface Run {
  readonly fetcher: PlanFetcher;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly defaults: Readonly<Record<string, unknown>>;
  readonly supergraphSchema: GraphQLSchema;
  clean: boolean;
}

/**
 * Runs a plan that {@link runnablePlan} accepts, step for step as Apollo Gateway's
 * `executeQueryPlan` runs it (its executeNode and executeFetch): the same fetches with the same
 * variables and representations, in the same order, their data merged with Apollo's own
 * `deepMerge`. What it leaves out is what only matters when something goes wrong (errors and
 * their paths) or is not asked for here (usage traces, spans): a run that is not `clean` is
 * answered by Apollo's executor. `variables` are the client's, as sent; `defaults`, the
 * operation's variables' default values, which a condition reads when the client sent none.
 */
export async function runPlan(
  node: PlanNode,
  fetcher: PlanFetcher,
  variables: Readonly<Record<string, unknown>>,
  supergraphSchema: GraphQLSchema,
  defaults: Readonly<Record<string, unknown>> = {},
): Promise<PlanRun> {
  const data = Object.create(null) as Record<string, unknown>;
  const run: Run = { fetcher, variables, defaults, supergraphSchema, clean: true };
  await runNode(run, node, { path: [], data });
  return { data, clean: run.clean };
}

async function runNode(run: Run, node: PlanNode, cursor: Cursor): Promise<void> {
  switch (node.kind) {
    case 'Sequence':
      for (const child of node.nodes) await runNode(run, child, cursor);
      return;
    case 'Parallel':
      await Promise.all(node.nodes.map((child) => runNode(run, child, cursor)));
      return;
    case 'Flatten': {
      let data: unknown;
      try {
        data = flattenResultsAtPath(cursor.data, node.path);
      } catch {
        // Apollo's executor fails this step (an assertion) and goes on.
        run.clean = false;
        return;
      }
      // As Apollo's moveIntoCursor: nothing to fetch for unless the path holds something.
      if (data) await runNode(run, node.node, { path: cursor.path.concat(node.path), data });
      return;
    }
    case 'Condition': {
      // Apollo's evaluateCondition: the client's value, else the default; anything but a boolean fails its assertion.
      const name = node.condition;
      const value =
        Object.hasOwn(run.variables, name) && run.variables[name] !== undefined
          ? run.variables[name]
          : run.defaults[name];
      if (typeof value !== 'boolean') {
        run.clean = false;
        return;
      }
      const branch = value ? node.ifClause : node.elseClause;
      if (branch) await runNode(run, branch, cursor);
      return;
    }
    case 'Fetch':
      try {
        await runFetch(run, node, cursor);
      } catch {
        run.clean = false;
      }
      return;
    default:
      // runnablePlan admits no other node.
      run.clean = false;
  }
}

async function runFetch(run: Run, fetch: FetchNode, cursor: Cursor): Promise<void> {
  const entities = Array.isArray(cursor.data)
    ? cursor.data.filter((entity) => entity !== null && entity !== undefined)
    : [cursor.data];
  if (entities.length < 1) return;
  const variables = Object.create(null) as Record<string, unknown>;
  for (const name of fetch.variableUsages ?? [])
    if (Object.hasOwn(run.variables, name) && run.variables[name] !== undefined) variables[name] = run.variables[name];

  if (!fetch.requires) {
    const received = await send(run, fetch, variables, cursor);
    for (const entity of entities) deepMerge(entity, received);
    return;
  }
  const representations: Record<string, unknown>[] = [];
  const representationToEntity: number[] = [];
  entities.forEach((entity, index) => {
    const representation = selectionOf(run.supergraphSchema, entity, fetch.requires!);
    if (representation?.__typename) {
      representations.push(representation);
      representationToEntity.push(index);
    }
  });
  if (representations.length < 1) return;
  if ('representations' in variables) throw new Error('Variables cannot contain key "representations"');
  const received = await send(run, fetch, { ...variables, representations }, cursor);
  if (!received) return;
  const receivedEntities = received._entities;
  if (!Array.isArray(receivedEntities) || receivedEntities.length !== representations.length)
    throw new Error('Unexpected "data._entities"');
  // As Apollo's loop: over the entities, each i-th answer merged into the i-th represented one.
  for (let i = 0; i < entities.length; i++) {
    const receivedEntity = receivedEntities[i] as Record<string, unknown> | null | undefined;
    const existingEntity = entities[representationToEntity[i]!] as Record<string, unknown> | undefined;
    if (receivedEntity && !receivedEntity.__typename) receivedEntity.__typename = existingEntity?.__typename;
    deepMerge(existingEntity, receivedEntity);
  }
}

async function send(
  run: Run,
  fetch: FetchNode,
  variables: Record<string, unknown>,
  cursor: Cursor,
): Promise<Record<string, unknown> | undefined> {
  const response = await run.fetcher(fetch, variables, cursor.path);
  if (response.errors?.length || !response.data) run.clean = false;
  return response.data ?? undefined;
}

/** Apollo's flattenResultsAtPath: the values at `path`, lists flattened at each `@`. */
function flattenResultsAtPath(value: unknown, path: readonly (string | number)[]): unknown {
  if (path.length === 0 || value === undefined || value === null) return value;
  const [current, ...rest] = path;
  if (current === '@') return (value as unknown[]).flatMap((element) => flattenResultsAtPath(element, rest));
  if (typeof current !== 'string' || Array.isArray(value)) throw new Error('Unexpected path in the result');
  const object = value as Record<string, unknown>;
  return flattenResultsAtPath(Object.hasOwn(object, current) ? object[current] : undefined, rest);
}

/**
 * Apollo's executeSelectionSet: an entity's representation, the fields `selections` pick from
 * `source`; null when one is missing.
 */
function selectionOf(
  schema: GraphQLSchema,
  source: unknown,
  selections: readonly QueryPlanSelectionNode[],
): Record<string, unknown> | null {
  if (source === null) return null;
  const object = source as Record<string, unknown>;
  const result = Object.create(null) as Record<string, unknown>;
  for (const selection of selections) {
    if (selection.kind === Kind.FIELD) {
      const responseName = selection.alias ?? selection.name;
      const nested = selection.selections;
      if (!Object.hasOwn(object, responseName) || object[responseName] === undefined) return null;
      const value = object[responseName];
      if (Array.isArray(value))
        result[responseName] = value.map((element: unknown) =>
          nested ? selectionOf(schema, element, nested) : element,
        );
      else result[responseName] = nested ? selectionOf(schema, value, nested) : value;
    } else if (selection.typeCondition && source && isObjectOfType(schema, object, selection.typeCondition)) {
      deepMerge(result, selectionOf(schema, source, selection.selections));
    }
  }
  return result;
}
