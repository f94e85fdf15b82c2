/**
 * `@car-check/service-kit/process`: what a process needs before it serves
 * anything — its variables, its logger, its start and stop, and the exit codes
 * that tell a supervisor whether a restart may help.
 *
 * Why a second entry: the package's main one (index.ts) brings every library
 * the kit wraps (jose, ioredis, graphql, OpenTelemetry's SDK, Apollo Server),
 * about 40 MB of RSS once loaded. A gateway's cluster primary serves nothing
 * and needs none of them; importing only this entry keeps them out of it.
 * Everything here is also exported by the main entry.
 */
export { readEnv, port, host, flag, logLevel, shutdownGraceMs, ConfigError } from './config/env';
export { createLogger, type Logger, type LoggerOptions } from './logging/logger';
export { HOPELESS_EXIT_CODES } from './server/exitCodes';
export { ensurePortFree, runMain, onShutdownSignal } from './server/lifecycle';
export { stopWhenSupervisorGone } from './server/processWatch';
