import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { graphError, type GraphError, alreadyExists, formatError } from '@car-check/service-kit';
import { DATA_LOST_SQLSTATE } from '../db/dataWatch';

/**
 * Maps failures of the database layer onto the catalog. Prisma reports them
 * with its own codes (P2002 ...), and with driver adapters also with the
 * adapter's error kind and PostgreSQL's SQLSTATE; all three are understood.
 * Anything unrecognised is returned untouched and ends up masked as INTERNAL.
 */
// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- names what it usually returns
export function mapDatabaseError(error: unknown, entity: string): GraphError | unknown {
  const facts = databaseFacts(error);
  if (facts.prismaCode === 'P2002' || facts.kind === 'UniqueConstraintViolation' || facts.sqlState === '23505') {
    return alreadyExists(entity, facts.uniqueFields);
  }
  if (facts.prismaCode === 'P2025') {
    return graphError('NOT_FOUND', `${entity} does not exist.`, { entity });
  }
  if (
    facts.prismaCode === 'P2034' ||
    facts.kind === 'TransactionWriteConflict' ||
    facts.sqlState === '40001' ||
    facts.sqlState === '40P01'
  ) {
    return graphError('ABORTED', `The ${entity} changed concurrently; re-read it and retry.`, { entity });
  }
  // The embedded database's data folder is gone under the service (packages/subgraph-kit/src/db/dataWatch.ts), or a data file
  // PostgreSQL needs is: a retry cannot help, and writes must not be taken as kept.
  if (facts.sqlState === DATA_LOST_SQLSTATE) {
    return graphError(
      'DATA_LOSS',
      'The service lost its data folder; nothing was written. An operator must restore it and restart the service.',
    );
  }
  if (isUnavailable(facts)) {
    return graphError('UNAVAILABLE', 'The database is unavailable; retry later.');
  }
  // Prisma's transaction manager: a transaction that could not start within its wait (every
  // connection busy), or that outran its timeout and was rolled back. Either way nothing was
  // written, and the same request may well succeed once the database is less busy.
  if (facts.prismaCode === 'P2028') {
    return graphError(
      'UNAVAILABLE',
      'The database is too busy to take this request now; nothing was written. Retry later.',
    );
  }
  return error;
}

/**
 * A subgraph's `formatError`: a database failure that no resolver translated (a read, a
 * transaction of its own) gets its code from {@link mapDatabaseError} rather than INTERNAL, so a
 * busy or unreachable database reads as UNAVAILABLE to the client whichever resolver met it.
 */
export function formatSubgraphError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof GraphQLError || original === undefined || original === null)
    return formatError(formatted, error);
  const mapped = mapDatabaseError(original, 'The record');
  if (!(mapped instanceof GraphQLError)) return formatError(formatted, error);
  return formatError({ ...formatted, message: mapped.message, extensions: mapped.extensions }, mapped);
}

// Connection-level trouble: the request may well succeed if retried.
const UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'TlsConnectionError',
]);
const UNAVAILABLE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
// SQLSTATE: 08xxx connection exceptions, 53300 too many connections, 57P01-57P03 server shutting down or starting.
const UNAVAILABLE_SQLSTATE = /^(08...|53300|57P0[123])$/;
// pg-pool's own errors carry no code, only these messages.
const POOL_MESSAGES = /timeout exceeded when trying to connect|Connection terminated/i;

function isUnavailable(facts: DatabaseFacts): boolean {
  return (
    (facts.kind !== undefined && UNAVAILABLE_KINDS.has(facts.kind)) ||
    (facts.prismaCode !== undefined && UNAVAILABLE_PRISMA_CODES.has(facts.prismaCode)) ||
    (facts.sqlState !== undefined && UNAVAILABLE_SQLSTATE.test(facts.sqlState)) ||
    POOL_MESSAGES.test(facts.message)
  );
}

interface DatabaseFacts {
  prismaCode?: string;
  kind?: string;
  sqlState?: string;
  uniqueFields: string[];
  message: string;
}

function databaseFacts(error: unknown): DatabaseFacts {
  const record = (error ?? {}) as { code?: unknown; meta?: Record<string, unknown>; message?: unknown };
  const cause = (record.meta?.driverAdapterError as { cause?: Record<string, unknown> } | undefined)?.cause ?? {};
  const code = typeof record.code === 'string' ? record.code : undefined;
  const sqlState = [cause.originalCode, cause.code, code].find(
    (value): value is string => typeof value === 'string' && /^[0-9A-Z]{5}$/.test(value),
  );
  return {
    prismaCode: code?.startsWith('P') ? code : undefined,
    kind: typeof cause.kind === 'string' ? cause.kind : undefined,
    sqlState,
    uniqueFields: uniqueFields(record.meta, cause),
    message: typeof record.message === 'string' ? record.message : '',
  };
}

function uniqueFields(meta: Record<string, unknown> | undefined, cause: Record<string, unknown>): string[] {
  const target = meta?.target ?? (cause.constraint as { fields?: unknown } | undefined)?.fields;
  if (Array.isArray(target)) return target.map(String);
  if (typeof target === 'string') return [target];
  return ['key'];
}

/** Runs a database call, translating its failures with {@link mapDatabaseError}. */
export async function withDatabaseErrors<T>(entity: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw mapDatabaseError(error, entity);
  }
}
