import type { PGlite, Transaction } from '@electric-sql/pglite';

type AnyFunction = (...args: unknown[]) => unknown;

/** The statement-running methods of PGlite and of its transactions. */
const STATEMENTS: ReadonlySet<PropertyKey> = new Set(['query', 'exec', 'sql']);

/**
 * `db` with `check` run before every statement, and before every transaction
 * commits: when it rejects, its error is thrown instead of running the statement
 * (a transaction is rolled back). Everything else is PGlite's own, bound to it.
 * Used by the embedded database to refuse work once its data folder is gone (dataWatch.ts).
 */
export function guardedPGlite(db: PGlite, check: () => Promise<void>): PGlite {
  const guardedTransaction = (tx: Transaction): Transaction => guard(tx, check);
  return new Proxy(db, {
    get(target, property) {
      if (property === 'transaction') {
        return async <T>(callback: (tx: Transaction) => Promise<T>): Promise<T> => {
          await check();
          return target.transaction(async (tx) => {
            const result = await callback(guardedTransaction(tx));
            // The last word before COMMIT: a transaction that would be lost is rolled back instead.
            await check();
            return result;
          });
        };
      }
      return guardedMember(target, property, check);
    },
  });
}

function guard<T extends object>(object: T, check: () => Promise<void>): T {
  return new Proxy(object, { get: (target, property) => guardedMember(target, property, check) });
}

function guardedMember(target: object, property: PropertyKey, check: () => Promise<void>): unknown {
  // The target as `this`: PGlite keeps its state in private fields, which a proxy does not have.
  const value: unknown = Reflect.get(target, property, target);
  if (typeof value !== 'function') return value;
  const method = value as AnyFunction;
  if (!STATEMENTS.has(property)) return method.bind(target);
  return async (...args: unknown[]) => {
    await check();
    return method.apply(target, args);
  };
}

/**
 * Prisma's PGlite adapter with every transaction's commit checked by `check` after it:
 * the adapter (pglite-prisma-adapter 0.7) resolves a commit whose transaction PGlite
 * rolled back (guardedPGlite's last check), which Prisma would report as written.
 */
export function guardedCommits<F extends object>(factory: F, check: () => Promise<void>): F {
  return afterMethod(factory, 'connect', async (adapter) =>
    afterMethod(adapter as object, 'startTransaction', async (tx) =>
      afterMethod(tx as object, 'commit', async (result) => {
        await check();
        return result;
      }),
    ),
  );
}

/** `object` whose method `name` resolves to `after` of what it resolved to. */
function afterMethod<T extends object>(object: T, name: string, after: (result: unknown) => Promise<unknown>): T {
  return new Proxy(object, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = (value as AnyFunction).bind(target);
      if (property !== name) return method;
      return async (...args: unknown[]) => after(await method(...args));
    },
  });
}
