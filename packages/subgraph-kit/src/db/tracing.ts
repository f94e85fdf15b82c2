import { recordWhileTracing } from '@car-check/service-kit';
import type { PrismaInstrumentation } from '@prisma/instrumentation';

/**
 * Prisma's spans (`prisma:client:operation`, `prisma:client:db_query` with the
 * SQL text, transactions), loaded only once something records. Prisma 7
 * looks its tracing helper up on every query, so clients created before this
 * are traced too, driver adapters included; no preview feature is needed.
 */
function prismaInstrumentation(): PrismaInstrumentation {
  // Loaded lazily: nothing of it runs in a process that records nothing.
  const { PrismaInstrumentation: Instrumentation } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@prisma/instrumentation') as typeof import('@prisma/instrumentation');
  return new Instrumentation({ enabled: false, ignoreSpanTypes: ['prisma:client:serialize'] });
}

/** Every process that can open a database records its queries whenever it records at all. */
export function traceDatabaseQueries(): void {
  recordWhileTracing('prisma', prismaInstrumentation);
}
