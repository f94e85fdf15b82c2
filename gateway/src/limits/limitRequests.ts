import type { RequestHandler } from 'express';
import { getOperationAST, parse, type DocumentNode } from 'graphql';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { CallerIdentity } from '../../../common/auth/identity';
import { STATUS } from '../../../common/errors';
import { errorBody } from '../../../common/server/graphqlHttp';
import type { Logger } from '../../../common/logging/logger';
import { measureOperation, type QueryShape } from './queryShape';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxFields: number;
  maxCost: number;
}

const LABELS: Record<keyof QueryShape, [keyof QueryLimits, string]> = {
  depth: ['maxDepth', 'Query depth'],
  aliases: ['maxAliases', 'Number of aliases'],
  fields: ['maxFields', 'Number of fields'],
  cost: ['maxCost', 'Estimated query cost'],
};

function refuse(res: Parameters<RequestHandler>[1], status: number, message: string, details: Record<string, unknown>) {
  res.status(status).json(errorBody('RESOURCE_EXHAUSTED', message, details, res.locals.requestId));
}

/**
 * Refuses queries too deep, too wide or too costly before Apollo validates
 * them (graphql-js validation of a 10,000-alias query alone can take seconds)
 * and long before any subgraph is called: HTTP 400, RESOURCE_EXHAUSTED.
 * A query that does not parse is left to Apollo, which reports the syntax error.
 */
export function limitQueryShape(limits: QueryLimits): RequestHandler {
  return (req, res, next) => {
    const body = req.body as { query?: unknown; variables?: unknown; operationName?: unknown } | undefined;
    if (!body || typeof body.query !== 'string') return next();
    let document: DocumentNode;
    try {
      document = parse(body.query, { noLocation: true });
    } catch {
      return next();
    }
    const operation = getOperationAST(document, typeof body.operationName === 'string' ? body.operationName : undefined);
    if (!operation) return next();
    const variables = body.variables && typeof body.variables === 'object' ? (body.variables as Record<string, unknown>) : {};
    const shape = measureOperation(document, operation, variables);
    for (const [measure, [limitName, label]] of Object.entries(LABELS) as [keyof QueryShape, [keyof QueryLimits, string]][]) {
      if (shape[measure] > limits[limitName]) {
        const actual = Number.isFinite(shape[measure]) ? shape[measure] : 'unbounded';
        return refuse(res, 400, `${label} ${actual} exceeds the limit of ${limits[limitName]}.`, { limit: limits[limitName], actual });
      }
    }
    next();
  };
}

/**
 * Per-client rate limiting: by signed-in user, else by address. Past the limit
 * the client gets HTTP 429 with `Retry-After` and RESOURCE_EXHAUSTED.
 */
export function rateLimit(requestsPerMinute: number, log: Logger): RequestHandler {
  const limiter = new RateLimiterMemory({ points: requestsPerMinute, duration: 60, keyPrefix: 'graphql' });
  return async (req, res, next) => {
    const caller = res.locals.caller as CallerIdentity | undefined;
    const key = caller?.userId ? `user:${caller.userId}` : `ip:${req.socket.remoteAddress ?? 'unknown'}`;
    try {
      await limiter.consume(key);
      next();
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) return next(rejection);
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      log.info({ key: caller?.userId ? 'user' : 'address', retryAfter, code: 'RESOURCE_EXHAUSTED', grpcStatus: STATUS.RESOURCE_EXHAUSTED.grpcStatus }, 'rate limited');
      res.set('retry-after', String(retryAfter));
      refuse(res, 429, `Too many requests; retry in ${retryAfter} s.`, { retryAfterSeconds: retryAfter });
    }
  };
}
