/**
 * @car-check/service-kit: what every service (the gateway and each subgraph) builds on:
 * configuration, logging, metrics, tracing, HTTP serving, identity and signing, the errors
 * catalog, shared Redis state and process exit helpers. No database or broker client.
 * This file is the package's public surface, name by name.
 */
export { sha256Base64, sha256Base64Url, sha256Bytes, sha256Hex } from './crypto/hash';
export {
  callerKey,
  contentDigest,
  requestTarget,
  signRequest,
  verifySignedRequest,
  type CallerIdentity,
  ANONYMOUS,
  SIGNATURE_HEADER,
  IDENTITY_HEADERS,
  DEFAULT_SIGNATURE_VALIDITY_MS,
  type RequestToSign,
  type SigningOptions,
  IdentityError,
  type SignedRequest,
  type ReceivedRequest,
  type VerifyOptions,
} from './auth/identity';
export {
  readRequirements,
  denial,
  denialKey,
  denialMessage,
  type Requirement,
  type Requirements,
} from './auth/requirements';
export { scopesForGroups, SCOPES, type Scope, GROUP_SCOPES } from './auth/scopes';
export { developmentSecret, developmentFile } from './auth/secrets';
export {
  DEFAULT_TOKEN_ISSUER,
  DEFAULT_TOKEN_AUDIENCE,
  TOKEN_ALGORITHM,
  JWKS_PATH,
  TOKEN_STATUS_PATH,
  type TokenStatus,
  TOKEN_STATUS_AUDIENCE,
} from './auth/tokens';
export {
  describeError,
  readEnv,
  ConfigError,
  port,
  httpUrl,
  postgresUrl,
  flag,
  optionalFlag,
  nodeEnv,
  logLevel,
  redisUrl,
  host,
  shutdownGraceMs,
  bodyLimit,
  timeoutMs,
  positiveCount,
  observeConfigShapes,
  type ConfigShapeObserver,
} from './config/env';
export {
  supergraphConfigPath,
  subgraphPackageFiles,
  subgraphRegistry,
  subgraphNames,
  subgraphRegistration,
  type SubgraphRegistration,
  type SubgraphPackageFiles,
} from './config/registry';
export {
  routingUrlOf,
  subgraphUrlVariable,
  subgraphPortVariable,
  subgraphDatabaseUrlVariable,
  subgraphDatabaseSchemaVariable,
  subgraphTimeoutVariable,
  subgraphEventsPrivateKeyVariable,
  subgraphEventsPublicKeyVariable,
} from './config/routing';
export {
  signingConfigFromEnv,
  resolveSigningSecret,
  type SigningSecretSource,
  type SigningConfig,
} from './config/signing';
export {
  graphError,
  statusCodeOf,
  type StatusDefinition,
  STATUS,
  type StatusName,
  type StatusCode,
  STATUS_NAMES,
  MASKED_CODES,
  PROTOCOL_CODES,
  type GraphError,
} from './errors/catalog';
export { found, invalidArgument, outOfRange, notFound, alreadyExists } from './errors/shorthands';
export { DEFAULT_PAGE_SIZE } from './graphql/pageSize';
export { createLogger, type Logger, type LoggerOptions } from './logging/logger';
export { formatDuration } from './logging/duration';
export { type PoolStats, ServiceMetrics } from './metrics/metrics';
export { buildVersion, type BuildInfo, schemaHashOf } from './server/buildInfo';
export { errorReportingPlugin } from './server/errorReportingPlugin';
export {
  exitCodeFor,
  EXIT_FAILURE,
  EXIT_CONFIG,
  EXIT_MIGRATION_HISTORY,
  HOPELESS_EXIT_CODES,
  type HopelessFailure,
} from './server/exitCodes';
export { codeForError, formatError, MASKED_MESSAGE } from './server/formatError';
export {
  requireGatewaySignature,
  type RawBodyRequest,
  keepRawBody,
  type SignatureCheck,
} from './server/gatewaySignature';
export {
  errorBody,
  errorExtensions,
  GRAPHQL_HTTP_REFUSALS,
  notFoundHandler,
  negotiateResponseType,
  statusOfExecutedResult,
  responseContentType,
  statusOfRequestError,
  graphqlOverHttpPlugin,
  requestShapeProblem,
  bodyErrorHandler,
  MEDIA_TYPES,
  type ResponseMediaType,
  PARTIAL_SUCCESS,
  guardGraphQLRequest,
} from './server/graphqlHttp';
export {
  requireAllUp,
  pollReadiness,
  mountHealth,
  withDegradable,
  type DependencyState,
  type ReadinessCheck,
  type Readiness,
  type ReadinessReport,
  READINESS_POLL_MS,
} from './server/health';
export { listen, isDraining, malformedHttpAnswer, type RunningServer } from './server/http';
export { ensurePortFree, runMain, onShutdownSignal } from './server/lifecycle';
export { serveFirst, type FastRoute } from './server/fastRoute';
export { probeHalfClosedStream } from './server/halfClose';
export {
  managementTokenFromEnv,
  managementAccess,
  describeManagementAccess,
  type ManagementAccess,
} from './server/management';
export {
  watchProcesses,
  supervisorPidFromEnv,
  stopWhenSupervisorGone,
  SUPERVISOR_PID_VARIABLE,
  WATCH_INTERVAL_MS,
} from './server/processWatch';
export { clientRequestIdFrom, REQUEST_ID_HEADER, assignRequestId } from './server/requestId';
export {
  logRequest,
  outcomeOf,
  requestLogPlugin,
  type RequestRecord,
  type SubgraphCall,
} from './server/requestLogPlugin';
export { connectRedis, closeRedis, redisDependency, type SharedStateKind, SharedRedis } from './state/redis';
export {
  traceHttpRequests,
  inRequestTrace,
  requestTraceId,
  requestTraceContext,
  tracingPlugin,
  traceRootFields,
  activateRequestTrace,
} from './server/tracing';
export {
  extractTraceContext,
  traceHeaders,
  parentForCall,
  traceIdOf,
  currentTraceId,
  traceLogFields,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
} from './tracing/context';
export {
  recordWhileTracing,
  startTracing,
  startRequestSpan,
  tracingStatus,
  useInMemoryTracing,
  stopTracing,
  flushTracing,
  shutdownTracing,
  samplerFor,
  type StartTracingOptions,
  type TracingStatus,
  type RecordedInstrumentation,
} from './tracing/provider';
export {
  tracingSettingsFromEnv,
  tracesUrlOf,
  SAMPLERS,
  type SamplerName,
  type TracingSettings,
} from './tracing/settings';
export { tracerFor, setSpanOutcome, setSpanError, TRACE_ATTRIBUTES } from './tracing/spans';
export { isAlive } from './os/processes';
export { type NonceStore, MemoryNonceStore, FailoverNonceStore } from './state/nonceStore';
export { fetchSignedFeedPage, FeedUnavailable, type SignedFeedRead, type RawFeedPage } from './feed/signedFeedPage';
