import {
  subgraphDatabaseSchemaVariable,
  subgraphDatabaseUrlVariable,
  subgraphEventsPrivateKeyVariable,
  subgraphEventsPublicKeyVariable,
  subgraphNames,
  subgraphPortVariable,
  subgraphTimeoutVariable,
  subgraphUrlVariable,
} from '@car-check/service-kit';
import { loadSubgraph } from './subgraphs';

/**
 * What each environment variable means, for docs/configuration-reference.md. The schemas give
 * the type, default and requiredness; a schema's own `.describe()` wins over the text here.
 * test/tools/docs.test.ts fails when a variable has no description or an entry
 * here names a variable no schema reads, so the two cannot drift apart.
 */
/**
 * The variables every subgraph has, named after it in supergraph.yaml (`COST_CENTER_PORT`), described
 * once for all: a new subgraph needs no entry here. Its events' public key is read by the subgraphs
 * that consume them (their spec's `consumes`), so it is described only when one does.
 */
function perSubgraphDescriptions(): Record<string, string> {
  const consumed = new Set(subgraphNames().flatMap((name) => loadSubgraph(name).spec.consumes ?? []));
  return Object.fromEntries(
    subgraphNames().flatMap((name): [string, string][] => [
      [subgraphDatabaseSchemaVariable(name), `the ${name} subgraph's PostgreSQL schema`],
      [
        subgraphDatabaseUrlVariable(name),
        `a PostgreSQL database of the ${name} subgraph's own (wins over \`DATABASE_URL\`)`,
      ],
      [
        subgraphEventsPrivateKeyVariable(name),
        `PEM (PKCS#8) Ed25519 key the ${name} subgraph signs its events with; **required in production**; ` +
          '`\\n` may stand for line breaks',
      ],
      ...(consumed.has(name)
        ? [
            <[string, string]>[
              subgraphEventsPublicKeyVariable(name),
              `PEM (SPKI) Ed25519 key(s) that verify the ${name} subgraph's events, read by the subgraphs that ` +
                'consume them, several while rotating; **required in production**',
            ],
          ]
        : []),
      [
        subgraphPortVariable(name),
        `the ${name} subgraph's HTTP port; default: the port of its \`routing_url\` in supergraph.yaml`,
      ],
      [
        subgraphTimeoutVariable(name),
        `the gateway's deadline for calls to the ${name} subgraph; default \`SUBGRAPH_TIMEOUT_MS\``,
      ],
      [
        subgraphUrlVariable(name),
        `where the ${name} subgraph is reached; default: its \`routing_url\` in supergraph.yaml`,
      ],
    ]),
  );
}

export const CONFIG_DESCRIPTIONS: Record<string, string> = {
  ...perSubgraphDescriptions(),
  AMQP_URL:
    'RabbitMQ (`amqp://` or `amqps://`): events also travel through the broker (docs/events.md); ' +
    'unset: the embedded feed only',
  BODY_LIMIT: 'largest accepted request body',
  CORS_ORIGINS:
    "comma-separated browser origins allowed to call the gateway: added to Sandbox's and " +
    '`http://localhost:*`/`http://127.0.0.1:*` outside production, the exact list in production',
  DATA_DIR: 'where embedded databases (one folder per subgraph) and generated development keys live',
  DATABASE_POOL_SIZE: 'PostgreSQL connections per subgraph',
  DATABASE_URL: 'PostgreSQL for every subgraph, each in its own schema; unset: embedded PGlite under `DATA_DIR`',
  DEDUPLICATE_QUERIES:
    'identical queries in flight at once, from callers with the same identity and scopes, share one execution',
  DEFAULT_LIST_SIZE: 'size the cost model assumes for a list that states none',
  EMBEDDED_SHARED_BUFFERS:
    "buffer pool of each embedded database; raise it only for data far larger than the demo's " +
    "(PostgreSQL's own 128MB costs ~120 MB of RSS)",
  EVENTS_EXCHANGE: 'the durable topic exchange events are published to',
  EVENTS_MAX_ATTEMPTS: 'attempts at one event before it is dead-lettered',
  EVENTS_MAX_BACKOFF_MS: 'longest wait between polls of an owner that cannot be reached',
  EVENTS_PAGE_SIZE: 'events per feed request',
  EVENTS_POLL_MS:
    "how often a consumer polls its owner's feed (embedded mode); with `EVENTS_WAIT_MS`, the least time between two reads that find nothing",
  EVENTS_PREFETCH: 'unacknowledged messages a broker consumer holds at most',
  EVENTS_QUEUE:
    "the broker consumer's durable queue; unset: its own (the car replica's is `car-check.car.cost-center-replica`)",
  EVENTS_RELAY_BATCH: 'outbox rows the relay publishes per batch',
  EVENTS_RELAY_POLL_MS: 'how often an idle relay looks for rows other processes wrote',
  EVENTS_TIMEOUT_MS: 'how long one feed request may take, besides the time the owner may hold it (`EVENTS_WAIT_MS`)',
  EVENTS_WAIT_MS:
    "how long an owner may hold a feed read that finds no events, answering as soon as one commits (a long poll), and so how far behind an idle consumer may believe itself (a read model's freshness); 0 polls every `EVENTS_POLL_MS` instead",
  FAST_PLAN_EXECUTION:
    'a query planned as several fetches has its plan run by the gateway’s own executor, step for step as Apollo ' +
    'Gateway’s (the same fetches, variables and order), and, when the data makes the answer as Apollo would make it, ' +
    'is answered without Apollo Server’s pipeline (the same bytes, status, log line and metrics); anything else goes ' +
    'to Apollo, with the fetches already made. `false`: such queries through Apollo',
  FAST_SINGLE_FETCH:
    'a query planned as one fetch whose data is already the answer is answered without Apollo Server’s pipeline and ' +
    'Apollo Gateway’s executor (the same fetch, bytes, status, log line and metrics); anything else goes to Apollo, ' +
    'with the fetch already made. `false`: every such query through Apollo',
  GATEWAY_PORT: "the gateway's HTTP port (`0`: any free port)",
  GATEWAY_SIGNING_SECRET:
    'secret (≥ 32 characters) the gateway and every subgraph sign and check requests with; ' +
    '**required in production**; elsewhere generated under `DATA_DIR/keys`',
  HOST: 'interface to listen on',
  IDEMPOTENCY_KEY_TTL_SECONDS: 'how long an `Idempotency-Key` and the first result of its write are kept',
  IDENTITY_MAX_AGE_MS: 'how old a signed request may be (replay window)',
  INTROSPECTION: 'schema introspection; default: on outside production',
  JWKS_URL: 'where the user service publishes its token keys; default: beside `USER_SUBGRAPH_URL`',
  JWT_AUDIENCE: "access tokens' audience (the gateway and the user subgraph must agree)",
  JWT_ISSUER: "access tokens' issuer (the gateway and the user subgraph must agree)",
  JWT_PRIVATE_KEY:
    'PEM (PKCS#8) Ed25519 key that signs access tokens; **required in production**; ' +
    'elsewhere generated under `DATA_DIR/keys`',
  LANDING_PAGE: 'Apollo Sandbox on `GET /graphql`; default: on outside production',
  LOG_LEVEL: 'least severe level logged',
  LOG_PRETTY: 'human-readable logs instead of JSON lines (`npm start` sets `true`)',
  LOGIN_FIRST_DELAY_SECONDS:
    'sign-in throttle: the first wait past the allowed failures, doubling with each further failure',
  LOGIN_KNOWN_ADDRESS_DAYS: 'sign-in throttle: how long an address a username signed in from stays known',
  LOGIN_LOCKOUT_SECONDS: 'sign-in throttle: the longest wait, and how long failures are remembered',
  LOGIN_MAX_FAILURES_PER_CLIENT:
    'sign-in throttle: failures from one address, at usernames not known there, before waits start',
  LOGIN_MAX_FAILURES_PER_USER: 'sign-in throttle: failures at one username before waits start',
  MANAGEMENT_TOKEN:
    "bearer token (≥ 32 characters) that reads `/ready`'s and `/health`'s details and `/metrics`; unset: never served",
  MAX_NESTING: 'deepest bracket nesting of a JSON body or operation, and of fragment spreads',
  MAX_QUERY_ALIASES: 'aliases per operation',
  MAX_QUERY_COST: 'estimated cost per operation (docs/security.md, "The cost model")',
  MAX_QUERY_DEPTH: 'depth per operation',
  MAX_QUERY_FIELDS: 'fields per operation, fragments written out',
  MAX_QUERY_TOKENS: "graphql-js parser's token limit",
  MIGRATE_ON_START: 'apply pending migrations at start; `false` where a migration job runs them first',
  NODE_ENV: '`production` turns off Sandbox, introspection, generated keys and the demo data',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'collector base URL; spans go to `<endpoint>/v1/traces`; unset: no spans recorded',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'the full URL spans are sent to, instead of `<endpoint>/v1/traces`',
  OTEL_SDK_DISABLED: '`true`: no tracing at all, not even trace ids in logs and errors',
  OTEL_SERVICE_NAME: "the exported `service.name`, replacing the service's own; leave it unset under `npm start`",
  OTEL_TRACES_SAMPLER: 'which requests are recorded',
  OTEL_TRACES_SAMPLER_ARG: 'the ratio of the `*traceidratio` samplers; unset: 1',
  PEER_TIMEOUT_MS: "deadline for a subgraph's calls to another subgraph (cross-service checks)",
  PERSISTED_QUERIES_BYTES: 'bytes of automatic persisted queries kept (least recently used out first)',
  RATE_LIMIT_INSTANCES:
    'gateway instances sharing the limit through Redis; while Redis is unreachable each admits its share',
  RATE_LIMIT_PER_MINUTE: 'requests per minute per user, or per address for anonymous callers',
  READY_REQUIRES_SUBGRAPHS: "`true`: the gateway's `/ready` answers 503 while any subgraph is not ready",
  REDIS_URL:
    "Redis shared by several instances (rate limit, sign-in throttle, signature nonces); unset: each process's memory",
  REQUEST_TIMEOUT_MS: "a request's deadline, passed (signed) to subgraphs, which stop working past it",
  SEED_ON_EMPTY: 'load the demo fleet when an embedded database is created',
  SEED_PASSWORD: "the demo users' password; unset: `dev-password`, outside production only",
  SHUTDOWN_GRACE_MS:
    'how long SIGTERM waits for requests in flight (`npm start` kills a service still running 5 s later)',
  SUBGRAPH_TIMEOUT_MS: "the gateway's deadline for each subgraph call",
  SUPERGRAPH_PATH: 'the composed supergraph to serve, watched and hot-reloaded',
  SUPERGRAPH_POLL_MS: 'how often the supergraph source is checked for a new version; `0`: no hot reload',
  SUPERGRAPH_URL: 'serve the supergraph from this URL instead of `SUPERGRAPH_PATH` (polled)',
  SUPERVISOR_PID: 'set by `npm start`: the service stops, as on SIGTERM, once that process is gone',
  TOKEN_STATUS_CACHE_MS: "how long a token's status is trusted (at most 4000, so a revocation lands within 5 s)",
  TOKEN_STATUS_URL: 'where the user service answers token status; default: beside `USER_SUBGRAPH_URL`',
  TOKEN_TTL_SECONDS: 'access token lifetime',
  TRUSTED_DOCUMENTS:
    'a manifest of operations by id (`{ "<sha256>": "<document>" }`, e.g. web/persisted-documents.json)',
  TRUSTED_DOCUMENTS_ONLY: "`true`: run only the manifest's operations; needs `TRUSTED_DOCUMENTS`",
  WEB_DIST: "the web package's build, served at `/console/` and `/explorer/` outside production",
  WORKERS: 'gateway processes serving one port (node:cluster)',
};

/** Variables read without a zod schema (plain strings, or read by a library). */
export const NOT_IN_SCHEMAS: Record<string, { readBy: string; description: string }> = {
  ADMIN_PASSWORD: {
    readBy: '`npm run db:bootstrap-admin`',
    description: "the first administrator's password (at least 12 characters)",
  },
  APOLLO_TELEMETRY_DISABLED: {
    readBy: 'gateway',
    description:
      "Apollo Gateway's usage reporting to Apollo; set to `true` unless given; any value but `true` or `1` opts in",
  },
  BUILD_VERSION: {
    readBy: 'every service',
    description: "the build shown by `/health` and `service_build_info`; default: the package's version",
  },
  'OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, OTEL_BSP_*': {
    readBy: "every service (the OpenTelemetry SDK's exporter and batch processor)",
    description: 'headers (e.g. an API key), timeout and compression of the exporter; the batch span processor',
  },
  SUPERGRAPH_CONFIG: {
    readBy: 'every service and tool',
    description: 'the registry of subgraphs; default: the nearest supergraph.yaml above the service',
  },
};
