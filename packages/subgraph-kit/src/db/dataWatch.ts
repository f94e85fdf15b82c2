import { stat } from 'node:fs/promises';
import path from 'node:path';
import { messages } from '@electric-sql/pglite';

/**
 * Notices that an embedded database's folder is gone under a running service
 * (someone deleted `.data`, or replaced it). PGlite keeps its open files, so it
 * would go on acknowledging writes into files that no longer have a name, all of
 * them lost at the next start. So the folder's identity is taken when it is opened
 * (the device and inode of its PG_VERSION, which any cluster has), and looked at
 * again before each statement and every few seconds while idle: once it is gone or
 * another, it stays lost for this process, and every statement is refused.
 */

/** SQLSTATE 58P01 (undefined_file): PostgreSQL's own code for a data file that is not there. */
export const DATA_LOST_SQLSTATE = '58P01';

/**
 * The refusal, shaped as PGlite's own database errors are, so the Prisma adapter reports
 * its SQLSTATE like any other (packages/subgraph-kit/src/errors/database.ts maps it to DATA_LOSS).
 */
export function dataLostError(dataDir: string, why: string): messages.DatabaseError {
  const error = new messages.DatabaseError(
    `the embedded database's data folder ${dataDir} ${why} while this service ran: its writes since then cannot be kept, so none is taken; restart the service`,
    0,
    'error',
  );
  error.severity = 'FATAL';
  error.code = DATA_LOST_SQLSTATE;
  return error;
}

/** How often an idle service looks at its folder (one stat). */
export const DATA_WATCH_INTERVAL_MS = 2_000;

export class DataFolderWatch {
  private lost: messages.DatabaseError | null = null;
  private timer?: NodeJS.Timeout;

  private constructor(
    readonly dataDir: string,
    private readonly identity: string,
    private readonly onLost: (error: Error) => void,
  ) {}

  /** Starts watching a folder that holds a cluster; `onLost` hears of its loss once. */
  static async start(
    dataDir: string,
    onLost: (error: Error) => void,
    intervalMs = DATA_WATCH_INTERVAL_MS,
  ): Promise<DataFolderWatch> {
    const identity = await identityOf(dataDir);
    if (!identity) throw new Error(`no embedded database at ${dataDir} (no PG_VERSION there)`);
    const watch = new DataFolderWatch(dataDir, identity, onLost);
    watch.timer = setInterval(() => void watch.check().catch(() => undefined), intervalMs);
    // Watching alone keeps no process alive.
    watch.timer.unref();
    return watch;
  }

  /** Resolves while the folder is the one opened; rejects with the refusal once it is not. */
  async check(): Promise<void> {
    if (this.lost) throw this.lost;
    const now = await identityOf(this.dataDir);
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- TS keeps the narrowing to null across the await
    if (this.lost) throw this.lost;
    if (now === this.identity) return;
    this.lost = dataLostError(this.dataDir, now === null ? 'was deleted' : 'was replaced');
    this.stop();
    this.onLost(this.lost);
    throw this.lost;
  }

  get isLost(): boolean {
    return this.lost !== null;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** `device:inode` of the folder's PG_VERSION, or null when it (or the folder) is not there. */
async function identityOf(dataDir: string): Promise<string | null> {
  try {
    const info = await stat(path.join(dataDir, 'PG_VERSION'), { bigint: true });
    return `${info.dev}:${info.ino}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}
