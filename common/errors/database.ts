import { graphError, type GraphError } from './catalog';
import { alreadyExists } from './index';

/**
 * Maps failures of the database layer (Prisma's known error codes and
 * PostgreSQL SQLSTATEs) onto the catalog. Anything unrecognised is rethrown
 * untouched and ends up masked as INTERNAL.
 */
export function mapDatabaseError(error: unknown, entity: string): GraphError | unknown {
  const code = (error as { code?: unknown })?.code;
  const meta = (error as { meta?: Record<string, unknown> })?.meta;
  switch (code) {
    case 'P2002': // unique constraint
    case '23505':
      return alreadyExists(entity, uniqueFields(meta));
    case 'P2025': // record to update or delete not found
      return graphError('NOT_FOUND', `${entity} does not exist.`, { entity });
    case 'P2034': // transaction conflict / serialization failure
    case '40001':
    case '40P01':
      return graphError('ABORTED', `The ${entity} changed concurrently; re-read it and retry.`, { entity });
    case 'P1001': // cannot reach database server
    case 'P1017': // server closed the connection
    case 'P2024': // pool timeout
      return graphError('UNAVAILABLE', 'The database is unavailable; retry later.');
    default:
      return error;
  }
}

function uniqueFields(meta: Record<string, unknown> | undefined): string[] {
  const target = meta?.target ?? (meta?.driverAdapterError as { cause?: { constraint?: { fields?: unknown } } })?.cause?.constraint?.fields;
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
