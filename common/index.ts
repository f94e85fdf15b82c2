/**
 * @car-check/common: what a service (the gateway or a subgraph) builds on.
 * This file is the package's public surface; nothing outside the package imports its
 * modules directly, so anything not re-exported here may change without notice.
 */
export * from './audit/history';
export * from './audit/mutations';
export * from './audit/record';
export * from './auth/identity';
export * from './auth/requirements';
export * from './auth/scopes';
export * from './auth/secrets';
export * from './auth/tokens';
export * from './config/env';
export * from './config/registry';
export * from './config/routing';
export * from './config/service';
export * from './config/signing';
export * from './config/eventKeys';
export { sha256Base64, sha256Base64Url, sha256Bytes, sha256Hex } from './crypto/hash';
export * from './db/connect';
export * from './db/migrate';
export * from './db/progress';
export * from './db/sql';
export * from './errors';
export * from './events/amqpConsumer';
export * from './events/catalog';
export * from './events/cloudEvent';
export * from './events/consumer';
export * from './events/feed';
export * from './events/relay';
export * from './events/signature';
export * from './graphql/entityRef';
export * from './graphql/loaders';
export * from './graphql/pagination';
export * from './graphql/validate';
export * from './logging/logger';
export * from './metrics/metrics';
export * from './peers/subgraphClient';
export * from './server/bootSubgraph';
export * from './server/buildInfo';
export * from './server/defineSubgraph';
export * from './server/errorReportingPlugin';
export * from './server/exitCodes';
export * from './server/formatError';
export * from './server/gatewaySignature';
export * from './server/graphqlHttp';
export * from './server/health';
export * from './server/http';
export * from './server/management';
export * from './server/migrateSubgraph';
export * from './server/processWatch';
export * from './server/requestId';
export * from './server/requestLogPlugin';
export * from './server/subgraph';
export * from './server/subgraphPackage';
export * from './state/redis';
export * from './server/tracing';
export * from './tracing';
