/**
 * Counts the SQL statements a Prisma client sends, by wrapping its driver
 * adapter factory. Used to prove that batching keeps the number of statements
 * per request constant.
 */
export class StatementCounter {
  /** The SQL of every statement since the last reset. */
  readonly statements: string[] = [];

  get count(): number {
    return this.statements.length;
  }

  reset(): void {
    this.statements.length = 0;
  }

  /** Wraps a driver adapter factory so every query through it is counted. */
  wrap<F extends object>(factory: F): F {
    return new Proxy(factory, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== 'connect' || typeof value !== 'function') {
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return async (...args: unknown[]) => this.wrapQueryable(await value.apply(target, args));
      },
    });
  }

  private wrapQueryable<Q extends object>(queryable: Q): Q {
    return new Proxy(queryable, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        if (property === 'queryRaw' || property === 'executeRaw') {
          return (...args: unknown[]) => {
            this.statements.push(String((args[0] as { sql?: unknown } | undefined)?.sql ?? ''));
            return value.apply(target, args);
          };
        }
        if (property === 'startTransaction') {
          return async (...args: unknown[]) => this.wrapQueryable(await value.apply(target, args));
        }
        return value.bind(target);
      },
    });
  }
}
