import type { PlanNode } from '@apollo/query-planner';

/**
 * The shape of a query plan, for the question issue 24 asked of the benchmark's query: would an
 * executor that starts each fetch as soon as its own inputs are ready finish sooner than Apollo's,
 * which runs a `Sequence` step by step?
 *
 * A fetch reads only the entities under its `Flatten` path and writes only under it, so a fetch
 * can need an earlier one only if one path is a prefix of the other (type conditions ignored:
 * `@|[Car]` counts as `@`). A fetch that a `Sequence` holds back behind earlier steps none of
 * whose paths overlap its own waits for nothing it reads: that wait is what dependency-driven
 * scheduling would remove. When there is none, the plan is already as short as its dependencies
 * allow, and its length is its critical path.
 */
export interface PlanShape {
  /** Every fetch of the plan. */
  fetches: number;
  /** The fetches one after another on the plan's longest chain: its length in round trips. */
  criticalPath: number;
  /** Fetches that a Sequence holds behind steps they read nothing of, with their service and path. */
  needlessWaits: { service: string; path: string }[];
}

interface Fetch {
  service: string;
  path: string[];
}

export function planShape(node: PlanNode): PlanShape {
  const needlessWaits: PlanShape['needlessWaits'] = [];
  const visit = (current: PlanNode): void => {
    if (current.kind === 'Flatten') return visit(current.node);
    if (current.kind !== 'Sequence' && current.kind !== 'Parallel') return;
    if (current.kind === 'Sequence') {
      current.nodes.forEach((step, index) => {
        if (index === 0) return;
        const before = current.nodes.slice(0, index).flatMap((earlier) => fetchesOf(earlier));
        for (const fetch of fetchesOf(step)) {
          if (!before.some((earlier) => overlaps(earlier.path, fetch.path)))
            needlessWaits.push({ service: fetch.service, path: fetch.path.join('.') });
        }
      });
    }
    current.nodes.forEach(visit);
  };
  visit(node);
  return { fetches: fetchesOf(node).length, criticalPath: criticalPath(node), needlessWaits };
}

function fetchesOf(node: PlanNode, path: string[] = []): Fetch[] {
  switch (node.kind) {
    case 'Fetch':
      return [{ service: node.serviceName, path }];
    case 'Flatten':
      return fetchesOf(
        node.node,
        node.path.map((segment) => String(segment).split('|')[0]!),
      );
    case 'Sequence':
    case 'Parallel':
      return node.nodes.flatMap((child) => fetchesOf(child, path));
    default:
      throw new Error(`planShape reads plans of Fetch, Flatten, Sequence and Parallel nodes, not ${node.kind}`);
  }
}

function criticalPath(node: PlanNode): number {
  switch (node.kind) {
    case 'Fetch':
      return 1;
    case 'Flatten':
      return criticalPath(node.node);
    case 'Sequence':
      return node.nodes.reduce((sum, child) => sum + criticalPath(child), 0);
    case 'Parallel':
      return Math.max(0, ...node.nodes.map(criticalPath));
    default:
      throw new Error(`planShape reads plans of Fetch, Flatten, Sequence and Parallel nodes, not ${node.kind}`);
  }
}

function overlaps(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return false;
  return true;
}
