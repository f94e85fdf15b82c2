/**
 * Prisma's schema engine (compiled to wasm) driven in-process, on in-memory PGlite.
 *
 * Why this exists: the Prisma CLI's `migrate` commands need a native schema-engine
 * binary that it downloads from Prisma's own host, which these machines cannot reach
 * (see prisma/README.md, "Prisma without native engines"). `@prisma/schema-engine-wasm`
 * is the same engine; given a driver adapter it produces the same SQL as `prisma migrate dev`. Using PGlite (Postgres
 * compiled to wasm) for both the main and the shadow database means nothing external is
 * needed: no server, no network, no credentials.
 *
 * Each subgraph keeps its own schema and history in `prisma/<subgraph>/`.
 */
import { subgraphNames, subgraphRegistration } from '@car-check/service-kit';
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import vm from 'node:vm';

import type * as PGliteModule from '@electric-sql/pglite';
import type * as AdapterUtils from '@prisma/driver-adapter-utils';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type * as EngineGlue from '@prisma/schema-engine-wasm/schema_engine_bg';
import type {
  MigrationList,
  SchemaEngine,
  SchemaFilter,
  SchemasContainer,
} from '@prisma/schema-engine-wasm/schema_engine_bg';
import type * as PGliteAdapterModule from 'pglite-prisma-adapter';

/** The subgraphs that own a Prisma schema and a migration history: every one supergraph.yaml lists. */
export const SUBGRAPHS: readonly string[] = subgraphNames();
/** One of {@link SUBGRAPHS}. */
export type Subgraph = string;

/** Whether `value` names one of {@link SUBGRAPHS}. */
export function isSubgraph(value: string): value is Subgraph {
  return SUBGRAPHS.includes(value);
}

/** Where a subgraph's schema and migrations live. */
export interface SubgraphPaths {
  /** Absolute path of `schema.prisma`. */
  schemaPath: string;
  /** Absolute path of the `migrations` folder (holds `migration_lock.toml` and one folder per migration). */
  migrationsDir: string;
}

/** Options shared by the exported operations. */
export interface EngineOptions {
  /** Use this schema file instead of the subgraph's own (tests point at a modified copy). */
  schemaPath?: string;
  /** Use this migrations folder instead of the subgraph's own. */
  migrationsDir?: string;
  /**
   * A running engine from {@link startSchemaEngine}, to pay its start-up once for several
   * diffs. Only {@link diffMigrationsToSchema} accepts one: a diff runs entirely on the
   * shadow database, whereas creating a migration changes the main database.
   */
  engine?: SchemaEngineHandle;
}

/** Options of {@link createMigration}. */
export interface CreateMigrationOptions extends Omit<EngineOptions, 'engine'> {
  /** Receives the engine's data-loss warnings (`migrate dev` would ask for confirmation). */
  onWarning?: (message: string) => void;
}

/** A running schema engine and the in-memory databases behind it. */
export interface SchemaEngineHandle {
  /** The engine itself (typed by the wasm package's own declarations). */
  readonly engine: SchemaEngine;
  /** Frees the engine and closes every PGlite instance it opened. */
  close(): Promise<void>;
}

/** Prisma's own defaults: no table or enum is managed outside the schema. */
const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

/** Absolute paths of a subgraph's schema and migrations folder, as its package declares them. */
export function subgraphPaths(subgraph: Subgraph): SubgraphPaths {
  const { prismaSchema, migrationsDir } = subgraphRegistration(subgraph);
  return { schemaPath: prismaSchema, migrationsDir };
}

/**
 * The SQL that would take a database built from the committed migrations to the current
 * `schema.prisma` (what `prisma migrate diff --from-migrations … --to-schema … --script`
 * prints).
 *
 * @returns `''` when migrations and schema agree (the engine's "-- This is an empty
 *   migration." is normalised to `''`), otherwise the SQL script.
 */
export async function diffMigrationsToSchema(subgraph: Subgraph, options: EngineOptions = {}): Promise<string> {
  const { schemaPath, migrationsDir } = resolvePaths(subgraph, options);
  const [schema, migrationsList] = await Promise.all([readSchema(schemaPath), readMigrationsList(migrationsDir)]);

  const handle = options.engine ?? (await startSchemaEngine());
  try {
    const result = await engineCall(
      handle.engine.diff({
        from: { tag: 'migrations', ...migrationsList },
        to: { tag: 'schemaDatamodel', ...schema },
        script: true,
        exitCode: null,
        filters: NO_FILTER,
      }),
    );
    return normaliseScript(result.stdout ?? '');
  } finally {
    if (!options.engine) await handle.close();
  }
}

/**
 * Creates the next migration of a subgraph as `prisma migrate dev --name <name>` does, with
 * the same engine calls (applyMigrations, devDiagnostic, evaluateDataLoss, createMigration,
 * write files, applyMigrations) against a fresh in-memory database; the final apply proves
 * that the new migration runs.
 *
 * Writes `<migrationsDir>/<UTC yyyymmddHHMMSS>_<name>/migration.sql` and, like Prisma,
 * (re)writes `migration_lock.toml`.
 *
 * @param name - Migration name in snake_case (see {@link isValidMigrationName}).
 * @throws On an invalid name, a migration history that does not apply, or a change
 *   the engine cannot express as a migration. If the new migration itself fails to
 *   apply, its folder stays in place for inspection (as with `migrate dev`).
 * @returns The absolute path of the new `migration.sql`, or `null` when the schema has
 *   nothing to migrate.
 */
export async function createMigration(
  subgraph: Subgraph,
  name: string,
  options: CreateMigrationOptions = {},
): Promise<string | null> {
  if (!isValidMigrationName(name)) {
    throw new Error(`Invalid migration name "${name}": use lower-case letters, digits and single underscores`);
  }
  const { schemaPath, migrationsDir } = resolvePaths(subgraph, options);
  const schema = await readSchema(schemaPath);
  let migrationsList = await readMigrationsList(migrationsDir);

  // A fresh engine each time: the steps below change its main database.
  const { engine, close } = await startSchemaEngine();
  try {
    // Bring the empty main database up to date with the history first, so that it looks
    // like the development database `migrate dev` usually meets.
    await engineCall(engine.applyMigrations({ migrationsList, filters: NO_FILTER }));
    // Besides its checks, devDiagnostic builds the schema of the *applied* history on a
    // shadow database and caches it. evaluateDataLoss and createMigration read that cache
    // and, in the wasm engine, cannot open a shadow database themselves ("PostgreSQL
    // shadow DB must be provided through an external factory"): hence after the apply.
    const { action } = await engineCall(engine.devDiagnostic({ migrationsList, filters: NO_FILTER }));
    if (action.tag === 'reset') {
      // `migrate dev` would offer to reset; on a database built from the history itself,
      // this means the history is inconsistent, which a reset cannot fix.
      throw new Error(`The migration history of ${subgraph} is inconsistent: ${action.reason}`);
    }

    const dataLoss = await engineCall(engine.evaluateDataLoss({ migrationsList, schema, filters: NO_FILTER }));
    if (dataLoss.unexecutableSteps.length > 0) {
      throw new Error(dataLoss.unexecutableSteps.map((step) => step.message).join('\n'));
    }
    for (const warning of dataLoss.warnings) options.onWarning?.(warning.message);

    const created = await engineCall(
      engine.createMigration({ draft: false, migrationName: name, migrationsList, schema, filters: NO_FILTER }),
    );
    if (created.migrationScript === null) return null;

    const migrationDir = path.join(migrationsDir, created.generatedMigrationName);
    await mkdir(migrationsDir, { recursive: true });
    // Not recursive: an existing folder is an error instead of a silent overwrite.
    await mkdir(migrationDir);
    const scriptPath = path.join(migrationDir, `migration.${created.extension}`);
    await writeFile(scriptPath, created.migrationScript, 'utf8');
    await writeFile(path.join(migrationsDir, LOCKFILE), lockfileContent(created.connectorType), 'utf8');

    // What `migrate dev` does next: apply it, which proves the new SQL runs.
    migrationsList = await readMigrationsList(migrationsDir);
    await engineCall(engine.applyMigrations({ migrationsList, filters: NO_FILTER }));
    return scriptPath;
  } finally {
    await close();
  }
}

/**
 * Whether `name` is accepted as a migration name: lower-case snake_case, at most 200
 * characters. The Prisma CLI slugifies names before the engine sees them; accepting only
 * names that its slugify leaves unchanged gives the folder name `migrate dev` would.
 */
export function isValidMigrationName(name: string): boolean {
  return name.length <= 200 && /^[a-z0-9]+(_[a-z0-9]+)*$/.test(name);
}

/**
 * Starts a schema engine on a fresh in-memory PGlite; shadow databases are fresh
 * in-memory PGlite instances too. Compiling the wasm happens once per process.
 * Call {@link SchemaEngineHandle.close} when done.
 */
export async function startSchemaEngine(): Promise<SchemaEngineHandle> {
  const glue = await loadEngineGlue();
  const factory = new InMemoryPGliteFactory();
  const { bindMigrationAwareSqlAdapterFactory } = native.require<typeof AdapterUtils>('@prisma/driver-adapter-utils');
  let engine: SchemaEngine;
  try {
    engine = await engineCall(
      glue.SchemaEngine.new(
        // Every call passes its schema explicitly, so the engine needs none up front.
        { datamodels: undefined },
        // The engine reports its log lines here; they are debugging noise for our use.
        () => undefined,
        // Hand-bound methods fail inside the engine ("reading 'valueOf'"); this wraps every
        // method into the Result shape the engine expects.
        bindMigrationAwareSqlAdapterFactory(factory),
      ),
    );
  } catch (error) {
    await factory.closeAll();
    throw error;
  }
  return {
    engine,
    close: async () => {
      try {
        engine.free();
      } catch {
        // Only fails after a panic (the engine is still "borrowed" by the aborted call),
        // and that panic is the error being reported; closing the databases matters more.
      }
      await factory.closeAll();
    },
  };
}

// ---------------------------------------------------------------------------------------
// Loading the engine

/**
 * Node's own `require` and global object, even when this file runs inside Jest.
 *
 * Why not plain `require`: the engine's JS glue is an ES module, which Jest's module
 * sandbox cannot `require` on Node < 24.9 (it also intercepts `node:module` and
 * `process.getBuiltinModule`). And the glue tests values returned by the adapter with
 * `instanceof Promise`, so the glue, the adapter stack and PGlite must share one JS realm;
 * Jest runs tests in a separate `vm` context. `vm.runInThisContext` evaluates in Node's
 * main realm even from inside Jest, so everything the engine touches is loaded there.
 * Outside Jest this is simply this file's own `require` and `globalThis`.
 */
const native = (() => {
  const mainRealm = vm.runInThisContext('globalThis') as typeof globalThis;
  const realRequire = mainRealm.process.getBuiltinModule('node:module').createRequire(__filename);
  return {
    global: mainRealm,
    /** `require` through Node's loader; `T` is the module's type (from a type-only import). */
    require: <T>(id: string): T => realRequire(id) as T,
    resolve: (id: string): string => realRequire.resolve(id),
  };
})();

/**
 * The part of the WebAssembly JS API used here. This project's `lib` setting has no
 * WebAssembly declarations (they come with the DOM lib), so we state what we call.
 */
interface WasmApi {
  instantiate(bytes: Uint8Array, imports: Record<string, object>): Promise<{ instance: { exports: object } }>;
}

/** wasm-bindgen's start function, which must run once after the instance is linked. */
function hasStartFunction(exports: object): exports is { __wbindgen_start(): void } {
  return '__wbindgen_start' in exports && typeof exports.__wbindgen_start === 'function';
}

/** Where the linked glue is kept: on Node's global, so Jest's per-file module registries share it. */
const GLUE_KEY: unique symbol = Symbol.for('car-check-graph/schema-engine/glue');

/**
 * Links the wasm module to its JS glue, once per process: the glue keeps the instance in
 * a module-level variable, so a second instance would cut the first one's engines off.
 * (The package entry does the same with `import * as wasm from './x.wasm'`, which Node
 * cannot import.)
 */
function loadEngineGlue(): Promise<typeof EngineGlue> {
  const holder = native.global as typeof native.global & { [GLUE_KEY]?: Promise<typeof EngineGlue> };
  holder[GLUE_KEY] ??= linkEngineGlue();
  return holder[GLUE_KEY];
}

async function linkEngineGlue(): Promise<typeof EngineGlue> {
  const glueId = '@prisma/schema-engine-wasm/schema_engine_bg';
  const glue = native.require<typeof EngineGlue>(glueId);
  // The .wasm is not in the package's `exports`; it sits next to the glue.
  const wasm = await readFile(path.join(path.dirname(native.resolve(glueId)), 'schema_engine_bg.wasm'));
  panicRegistry();
  const { WebAssembly } = native.global as typeof native.global & { WebAssembly: WasmApi };
  const { instance } = await WebAssembly.instantiate(wasm, {
    // The import namespace is the glue's module specifier as compiled by wasm-bindgen.
    './schema_engine_bg.js': withUnrefTimers(glue),
  });
  if (!hasStartFunction(instance.exports)) throw new Error('schema_engine_bg.wasm has no __wbindgen_start');
  glue.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return glue;
}

/**
 * The glue's imports, with the timers the engine sets no longer keeping Node alive.
 * The engine arms timeouts (10 s and 60 s) around database operations and never clears
 * them, so without this a finished CLI run or test file would wait up to a minute before
 * exiting. An unref'd timer still fires while the process runs for other reasons.
 */
function withUnrefTimers(glue: typeof EngineGlue): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...glue };
  for (const [name, value] of Object.entries(glue)) {
    // wasm-bindgen names the import after the JS function plus a hash of its signature.
    if (!name.startsWith('__wbg_setTimeout_') || typeof value !== 'function') continue;
    imports[name] = (...args: unknown[]): unknown => {
      const timer: unknown = Reflect.apply(value, undefined, args);
      if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function') {
        (timer as { unref(): unknown }).unref();
      }
      return timer;
    };
  }
  return imports;
}

/** The object the engine reports a Rust panic to, before throwing `RuntimeError: unreachable`. */
interface PanicRegistry {
  message?: string;
  set_message(message: string): void;
}

/**
 * The engine's panic hook calls `global.PRISMA_WASM_PANIC_REGISTRY.set_message()`; without
 * that object the hook itself crashes. Prisma's other wasm modules use the same global (and
 * a compatible object), so one already installed is kept. Its `message` explains the
 * otherwise bare error that follows a panic.
 */
function panicRegistry(): PanicRegistry {
  const holder = native.global as typeof native.global & { PRISMA_WASM_PANIC_REGISTRY?: PanicRegistry };
  holder.PRISMA_WASM_PANIC_REGISTRY ??= {
    set_message(message: string): void {
      this.message = message;
    },
  };
  return holder.PRISMA_WASM_PANIC_REGISTRY;
}

/** An error reported by the schema engine, with Prisma's error code when it gave one (e.g. `P3006`). */
class SchemaEngineError extends Error {
  override readonly name = 'SchemaEngineError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Awaits an engine call and rethrows its failure as a {@link SchemaEngineError}. The
 * engine's own errors come from Node's main realm (see {@link native}), where Jest's
 * `instanceof Error` does not recognise them; a panic also leaves its message only in
 * the panic registry.
 */
async function engineCall<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    const registry = panicRegistry();
    const panic = registry.message || undefined;
    registry.message = '';
    const message = errorMessage(error);
    const code = isNodeError(error) && typeof error.code === 'string' ? error.code : undefined;
    // After a panic the wasm instance is in an unknown state; say so rather than retry.
    throw panic === undefined
      ? new SchemaEngineError(message, code)
      : new SchemaEngineError(`The schema engine panicked: ${panic} (${message}); restart the process.`, code);
  }
}

// ---------------------------------------------------------------------------------------
// Databases

type PGlite = PGliteModule.PGlite;

/**
 * Main and shadow databases on in-memory PGlite, through pglite-prisma-adapter.
 *
 * Two defects of pglite-prisma-adapter 0.7.2 are worked around here:
 * - `executeScript` does not await `PGlite.exec`, so a failing migration script counts as
 *   applied and its rejection goes unhandled; see {@link awaitScripts}.
 * - `connectToShadowDb` opens a new PGlite that is never closed; we open (and close) our own.
 */
class InMemoryPGliteFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres';
  readonly adapterName = 'pglite-prisma-adapter';
  private readonly open = new Set<PGlite>();
  private main: PGlite | undefined;

  async connect(): Promise<SqlDriverAdapter> {
    this.main ??= await this.openDatabase();
    // The main database lives as long as the engine, which may connect to it again.
    return connectAdapter(this.main, () => Promise.resolve());
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    // A fresh database per shadow connection: the engine expects it to start empty.
    const shadow = await this.openDatabase();
    return connectAdapter(shadow, () => this.closeDatabase(shadow));
  }

  /** Closes every database still open, main included. */
  async closeAll(): Promise<void> {
    this.main = undefined;
    await Promise.all([...this.open].map((db) => this.closeDatabase(db)));
  }

  /**
   * A new empty database, loaded from the process's pristine cluster (see {@link pristineCluster}):
   * the engine opens a shadow database for every diff and several times per new migration.
   */
  private async openDatabase(): Promise<PGlite> {
    const { PGlite } = native.require<typeof PGliteModule>('@electric-sql/pglite');
    const db = await PGlite.create('memory://', {
      loadDataDir: await pristineCluster(),
      // PostgreSQL zeroes its whole buffer pool (128MB by default) at every start; a database
      // the engine opens holds a schema and no data, and it opens several per operation.
      startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`],
    });
    this.open.add(db);
    return db;
  }

  private async closeDatabase(db: PGlite): Promise<void> {
    if (!this.open.delete(db)) return;
    await db.close();
  }
}

/** The buffer pool of each database the engine opens (see {@link InMemoryPGliteFactory}). */
const SHARED_BUFFERS = '16MB';

/** Where the pristine cluster is kept: on Node's global, so Jest's per-file module registries share it. */
const PRISTINE_KEY: unique symbol = Symbol.for('car-check-graph/schema-engine/pristine-cluster');

/**
 * What initdb makes, once per process, as an uncompressed dump every new database loads. initdb
 * costs about 6 CPU-seconds (15 s of a loaded 2-core machine), and every engine used to run it
 * for its template; loading the dump takes about a second. A process that starts several engines
 * (the drift tests: one per diff file and one per new migration) paid it each time.
 */
function pristineCluster(): Promise<Blob> {
  const holder = native.global as typeof native.global & { [PRISTINE_KEY]?: Promise<Blob> };
  const made = (holder[PRISTINE_KEY] ??= (async () => {
    const { PGlite } = native.require<typeof PGliteModule>('@electric-sql/pglite');
    const db = await PGlite.create('memory://');
    try {
      return await db.dumpDataDir('none');
    } finally {
      await db.close();
    }
  })());
  // A failure is not kept: the next database tries again.
  made.catch(() => {
    if (holder[PRISTINE_KEY] === made) delete holder[PRISTINE_KEY];
  });
  return made;
}

/**
 * Gives this process's databases a pristine cluster made elsewhere (a `dumpDataDir` of what initdb
 * makes, e.g. the tests' cached empty cluster) instead of running initdb for one: for callers that
 * have one at hand already. Must come before the first database is opened to take effect.
 */
export function usePristineCluster(dump: Uint8Array): void {
  const holder = native.global as typeof native.global & { [PRISTINE_KEY]?: Promise<Blob> };
  // A Blob of Node's main realm, as PGlite (loaded there, see {@link native}) expects.
  holder[PRISTINE_KEY] ??= Promise.resolve(new native.global.Blob([dump]));
}

/** Connects pglite-prisma-adapter to `db`, with an awaited `executeScript` and our `dispose`. */
async function connectAdapter(db: PGlite, dispose: () => Promise<void>): Promise<SqlDriverAdapter> {
  const { PrismaPGlite } = native.require<typeof PGliteAdapterModule>('pglite-prisma-adapter');
  const adapter = await new PrismaPGlite(db).connect();
  return awaitScripts(adapter, db, dispose);
}

/**
 * Returns `adapter` with `executeScript` awaiting the script and reporting its failure as
 * a Postgres error (the shape the engine prints), and with `dispose` replaced.
 * The other methods are the adapter's own, bound to it.
 */
function awaitScripts(adapter: SqlDriverAdapter, db: PGlite, dispose: () => Promise<void>): SqlDriverAdapter {
  const { DriverAdapterError } = native.require<typeof AdapterUtils>('@prisma/driver-adapter-utils');
  const { messages } = native.require<typeof PGliteModule>('@electric-sql/pglite');
  return {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    queryRaw: adapter.queryRaw.bind(adapter),
    executeRaw: adapter.executeRaw.bind(adapter),
    startTransaction: adapter.startTransaction.bind(adapter),
    getConnectionInfo: adapter.getConnectionInfo?.bind(adapter),
    async executeScript(script: string): Promise<void> {
      try {
        await db.exec(script);
      } catch (error) {
        if (!(error instanceof messages.DatabaseError)) throw error;
        throw new DriverAdapterError({
          kind: 'postgres',
          code: error.code ?? 'N/A',
          severity: error.severity ?? 'N/A',
          message: error.message,
          detail: error.detail,
          column: error.column,
          hint: error.hint,
        });
      }
    },
    dispose,
  };
}

// ---------------------------------------------------------------------------------------
// Files

const LOCKFILE = 'migration_lock.toml';

/** Byte for byte what `prisma migrate dev` writes as the lock file. */
function lockfileContent(connectorType: string): string {
  return (
    '# Please do not edit this file manually\n' +
    '# It should be added in your version-control system (e.g., Git)\n' +
    `provider = "${connectorType}"\n`
  );
}

function resolvePaths(subgraph: Subgraph, options: EngineOptions | CreateMigrationOptions): SubgraphPaths {
  // Callers in plain JS or with casts can still pass anything.
  if (!isSubgraph(subgraph)) {
    throw new Error(`Unknown subgraph "${subgraph}"; expected one of ${SUBGRAPHS.join(', ')}`);
  }
  const defaults = subgraphPaths(subgraph);
  return {
    schemaPath: path.resolve(options.schemaPath ?? defaults.schemaPath),
    migrationsDir: path.resolve(options.migrationsDir ?? defaults.migrationsDir),
  };
}

async function readSchema(schemaPath: string): Promise<SchemasContainer> {
  return { files: [{ path: schemaPath, content: await readFile(schemaPath, 'utf8') }] };
}

/**
 * The migrations folder as the engine wants it, read the way the Prisma CLI reads it:
 * every sub-folder is a migration, in name order, and a missing `migration.sql` is passed
 * on as an error for the engine to report.
 */
async function readMigrationsList(migrationsDir: string): Promise<MigrationList> {
  const lockfile = await readFile(path.join(migrationsDir, LOCKFILE), 'utf8').catch(() => null);
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch((error: unknown) => {
    if (isNodeError(error) && error.code === 'ENOENT') return [];
    throw error;
  });
  const folders = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));
  const migrationDirectories = await Promise.all(
    folders.map(async (folder) => ({
      path: folder,
      migrationFile: {
        path: 'migration.sql',
        content: await readFile(path.join(migrationsDir, folder, 'migration.sql'), 'utf8').then(
          (value) => ({ tag: 'ok' as const, value }),
          (error: unknown) => ({ tag: 'error' as const, value: errorMessage(error) }),
        ),
      },
    })),
  );
  return {
    baseDir: migrationsDir,
    lockfile: { path: LOCKFILE, content: lockfile },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

/** `''` for a script with nothing but comments and whitespace, else the script unchanged. */
function normaliseScript(script: string): string {
  const statements = script
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('')
    .trim();
  return statements === '' ? '' : script;
}

/** Duck-typed: under Jest, errors from Node's fs are not `instanceof` the sandbox's Error. */
function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return typeof error === 'object' && error !== null && 'code' in error;
}

function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') {
    return error.message;
  }
  return String(error);
}
