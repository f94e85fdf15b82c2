import type { Express } from 'express';
import { errorBody } from '../server/graphqlHttp';
import type { ManagementAccess } from '../server/management';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Pool figures of a service's database, when it has a pool (PostgreSQL). */
export type PoolStats = () => { total: number; idle: number; waiting: number } | null;

// Operation names come from clients: bounded, so a client cannot blow up the label set. Only
// authenticated callers' names take a slot (see operationLabel): anonymous ones cannot fill it.
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
// Seconds, from 5 ms to 10 s: the same for a request and for the gateway's calls to a subgraph, so they compare.
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One Prometheus registry per service, served at `GET /metrics`: requests by
 * operation and outcome code, latency, subgraph fetches (gateway), database
 * pool use (subgraphs) and the process's own metrics.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly operations = new Set<string>();
  private readonly requests: Counter<'operation' | 'outcome'>;
  private readonly duration: Histogram<'operation'>;
  private readonly subgraphFetch: Histogram<'subgraph' | 'outcome'>;
  private readonly mergedFetches: Counter<'subgraph'>;
  private readonly buildInfo: Gauge<'version' | 'schema_hash'>;
  private readonly supergraphPending: Gauge;

  constructor(service: string, poolStats?: PoolStats) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'graphql_requests_total',
      help: 'GraphQL requests by operation and outcome (OK or the gRPC code of the first error).',
      labelNames: ['operation', 'outcome'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'graphql_request_duration_seconds',
      help: 'Time to answer a GraphQL request.',
      labelNames: ['operation'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.subgraphFetch = new Histogram({
      name: 'gateway_subgraph_fetch_duration_seconds',
      help: 'Calls from the gateway to a subgraph, by outcome (OK or the gRPC code when the call failed).',
      labelNames: ['subgraph', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.mergedFetches = new Counter({
      name: 'gateway_subgraph_merged_fetches_total',
      help: 'Gateway: query-plan fetches sent merged with others of the same request into one call to a subgraph.',
      labelNames: ['subgraph'],
      registers: [this.registry],
    });
    this.buildInfo = new Gauge({
      name: 'service_build_info',
      help: 'The build version and the sha256 of the schema this service serves (always 1).',
      labelNames: ['version', 'schema_hash'],
      registers: [this.registry],
    });
    this.supergraphPending = new Gauge({
      name: 'gateway_supergraph_pending',
      help: 'Gateway: 1 while a newer supergraph waits for the subgraphs it needs to be deployed.',
      registers: [this.registry],
    });
    if (poolStats) {
      new Gauge({
        name: 'db_pool_connections',
        help: 'Database pool connections by state.',
        labelNames: ['state'],
        registers: [this.registry],
        collect() {
          const stats = poolStats();
          if (!stats) return;
          this.set({ state: 'total' }, stats.total);
          this.set({ state: 'idle' }, stats.idle);
          this.set({ state: 'waiting' }, stats.waiting);
        },
      });
    }
  }

  /**
   * `known`: the caller is authenticated (a user, or a service), so its operation name may
   * take one of the bounded label slots; an anonymous caller's name is counted under its own
   * label only if it already has one, and as `other` otherwise.
   */
  observeRequest(operationName: string | undefined, outcome: string, seconds: number, known = false): void {
    const operation = this.operationLabel(operationName, known);
    this.requests.inc({ operation, outcome });
    this.duration.observe({ operation }, seconds);
  }

  /** `gateway_supergraph_pending`: 1 while a new supergraph waits for its subgraphs to be deployed. */
  setSupergraphPending(pending: boolean): void {
    this.supergraphPending.set(pending ? 1 : 0);
  }

  /** `service_build_info{version, schema_hash} 1`: which build and schema this process serves. */
  setBuildInfo(version: string, schemaHash: string | null): void {
    this.buildInfo.reset();
    this.buildInfo.set({ version, schema_hash: schemaHash ?? 'none' }, 1);
  }

  observeSubgraphFetch(subgraph: string, outcome: string, seconds: number): void {
    this.subgraphFetch.observe({ subgraph, outcome }, seconds);
  }

  /** `gateway_subgraph_merged_fetches_total`: `fetches` of a plan went to the subgraph as one call. */
  countMergedFetches(subgraph: string, fetches: number): void {
    this.mergedFetches.inc({ subgraph }, fetches);
  }

  /** `GET /metrics`, for a caller with the management token only (none when it is not configured). */
  mount(app: Express, management?: ManagementAccess): void {
    app.get('/metrics', async (req, res) => {
      if (!management?.allows(req.headers)) {
        const why = management?.configured
          ? 'Metrics need Authorization: Bearer <MANAGEMENT_TOKEN>.'
          : 'Metrics are not served: MANAGEMENT_TOKEN is not set on this service.';
        res
          .status(401)
          .set('www-authenticate', 'Bearer')
          .json(errorBody('UNAUTHENTICATED', why, {}, res.locals.requestId));
        return;
      }
      res.set('content-type', this.registry.contentType).send(await this.registry.metrics());
    });
  }

  private operationLabel(name: string | undefined, known: boolean): string {
    if (!name) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return 'invalid';
    if (this.operations.has(name)) return name;
    if (!known || this.operations.size >= MAX_OPERATION_NAMES) return 'other';
    this.operations.add(name);
    return name;
  }
}
