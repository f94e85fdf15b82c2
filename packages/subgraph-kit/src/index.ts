/**
 * @car-check/subgraph-kit: what a subgraph builds on beyond the service kit: its database
 * and migrations, audit records and idempotent mutations, paging, loaders, validation, calls
 * to peer subgraphs, and its start. The demo fleet is the separate entry `./demo`.
 * This file is the package's public surface, name by name.
 */
export { historyLoader, type AuditEventRow, NEWEST_FIRST, type AuditReader } from './audit/history';
export {
  idempotencyOf,
  auditedCreate,
  auditedUpdate,
  auditedDelete,
  type InTransaction,
  type AuditedWrite,
  auditedWriteOf,
  type WriteRequestContext,
} from './audit/mutations';
export { auditedEntity, type EntityUpdate, type RevisionedModel, type TransactionClientOf } from './audit/entity';
export { subgraphConfigFromEnv, type SubgraphConfig, type SubgraphConfigSpec } from './config/service';
export {
  describeTarget,
  openDatabase,
  checkPostgresReachable,
  unreachable,
  type DatabaseTarget,
  type Database,
  type ConnectionErrorHandler,
  type CreateProgress,
  type OpenDatabaseOptions,
} from './db/connect';
export {
  readMigrations,
  applyMigrations,
  migrationStatus,
  MigrationError,
  MigrationHistoryError,
  type MigrationResult,
  type MigrationProgress,
  type ApplyMigrationsOptions,
  type MigrationState,
} from './db/migrate';
export {
  formatDuration,
  logProgress,
  openDatabaseWithProgress,
  applyMigrationsWithProgress,
  withMigratedDatabase,
  type ProgressStep,
  type ProgressFields,
  msSince,
  SEED_TRANSACTION,
  type DatabaseTimings,
} from './db/progress';
export { pgliteRunner, postgresRunner, quoteIdent, type SqlRunner } from './db/sql';
export { entityRef, type EntityRef } from './graphql/entityRef';
export {
  byIdLoader,
  byUniqueKeyLoader,
  groupLoader,
  childPageLoader,
  type ChildPageKey,
  type ChildPageSource,
} from './graphql/loaders';
export {
  encodeCursor,
  decodeCursor,
  parsePage,
  afterCursorWhere,
  orderByClause,
  cursorOf,
  toConnection,
  sortOrderFrom,
  escapeLike,
  containsText,
  equalsText,
  fetchPage,
  MAX_PAGE_SIZE,
  type SortDirection,
  type SortOrder,
  type Cursor,
  type PageRequest,
  type Edge,
  type Connection,
  MAX_CURSOR_LENGTH,
  type PageSource,
} from './graphql/pagination';
export { parseListArgs, type ListInputs } from './graphql/listArgs';
export {
  validate,
  parseId,
  isId,
  idSchema,
  idList,
  MAX_FILTER_IDS,
  text,
  expectedRevision,
  orderBy,
  filterInput,
  updateInput,
  type InputSchemas,
} from './graphql/validate';
export { resolveEntity, type PeerResponse, PeerClient } from './peers/peerClient';
export {
  consumerTransaction,
  ownerConsumerNames,
  ownerEventConsumer,
  ownerFeedSource,
  type ConsumerDatabase,
  type OwnerEventConsumerOptions,
  type OwnerEventsReader,
} from './peers/ownerEvents';
export {
  bootSubgraph,
  type PrismaLike,
  type SubgraphModule,
  type BootedSubgraph,
  type BootOptions,
} from './server/bootSubgraph';
export {
  defineSubgraph,
  subgraphDefinition,
  eventRelayOf,
  type Peers,
  type SetupDeps,
  type SubgraphSetup,
  type RebuildDeps,
  type SubgraphDefinition,
  type SubgraphModules,
  type SubgraphHooks,
  type DefinedSubgraph,
} from './server/defineSubgraph';
export { type EntityChange, type ChangeKind } from './subscriptions/change';
export {
  changeSubscription,
  type ChangeFieldArgs,
  type ChangeSubscriptionOptions,
  type StreamRequest,
} from './subscriptions/fields';
export { encodeStreamCursor, decodeStreamCursor } from './subscriptions/cursor';
export { SubscriptionHub, type SubscriptionHubOptions, type OpenStream } from './subscriptions/hub';
export { outboxChangeSource, type ChangeSource, type PositionCheck } from './subscriptions/outbox';
export { subscriptionSettingsFromEnv, type SubscriptionSettings } from './subscriptions/settings';
export { acceptsEventStream, EVENT_STREAM } from './subscriptions/sse';
export { subgraphContext, type ContextDeps, type SubgraphContext } from './server/context';
export { migrateSubgraph } from './server/migrateSubgraph';
export { createSubgraphApp, type RequestInfo, type SubgraphAppOptions, type SubgraphApp } from './server/subgraph';
export { subgraphPackage, startSubgraph, type SubgraphPackage } from './server/subgraphPackage';
export { hostSubgraphs } from './server/subgraphHost';
export { INITDB_OPTIONS, openPGlite, prepareEmbeddedTemplate } from './db/embedded';
