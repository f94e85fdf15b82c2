import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '@car-check/test-support/waitFor';
import { DataFolderLockedError, lockDataFolder, lockFileOf, processStartTime } from '../dataLock';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..', '..');

/** Another process holding the lock of `dataDir` through lockDataFolder, until it is killed. */
async function holderProcess(dataDir: string): Promise<ChildProcess> {
  const script = `require('./packages/subgraph-kit/src/db/dataLock').lockDataFolder(${JSON.stringify(dataDir)}).then(() => { console.log('locked'); setInterval(() => {}, 60000); })`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(
    () => output.includes('locked') || child.exitCode !== null,
    60_000,
    'the other process to take the lock',
  );
  if (child.exitCode !== null) throw new Error(`the lock holder exited with ${child.exitCode}`);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('the embedded data folder lock', () => {
  let parent: string;
  let dataDir: string;

  beforeEach(async () => {
    parent = await mkdtemp(path.join(os.tmpdir(), 'data-lock-'));
    dataDir = path.join(parent, 'car');
  });
  afterEach(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('is a file beside the folder with the holder’s pid, removed on release; a second open in the same process is refused', async () => {
    const lock = await lockDataFolder(dataDir);
    expect(lock.file).toBe(`${dataDir}.lock`);
    expect((await readFile(lock.file, 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await expect(lockDataFolder(dataDir)).rejects.toThrow(new DataFolderLockedError(dataDir, process.pid).message);
    await lock.release();
    expect(existsSync(lock.file)).toBe(false);
    const again = await lockDataFolder(dataDir);
    await again.release();
  });

  it('refuses another process’s folder with one line naming the folder and the holder, and takes it over once the holder crashed', async () => {
    const holder = await holderProcess(dataDir);
    try {
      const refusal = await lockDataFolder(dataDir).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refusal).toBeInstanceOf(DataFolderLockedError);
      const message = (refusal as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toContain(dataDir);
      expect(message).toContain(`in use by process ${holder.pid}`);
    } finally {
      await kill(holder);
    }
    // SIGKILL: the holder left its lock file behind.
    expect(existsSync(lockFileOf(dataDir))).toBe(true);
    const lock = await lockDataFolder(dataDir);
    expect((await readFile(lock.file, 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await lock.release();
  }, 120_000);

  it('takes over a lock whose pid now belongs to another process (or to this one, in a previous life)', async () => {
    // A live process that never took the lock: its start time differs from the one recorded.
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      await waitFor(
        () => processStartTime(other.pid!) !== null,
        30_000,
        'the other process to start (its /proc entry)',
      );
      await writeFile(lockFileOf(dataDir), `${other.pid}\n1\n`);
      await (await lockDataFolder(dataDir)).release();
      await writeFile(lockFileOf(dataDir), `${process.pid}\n${processStartTime(process.pid) ?? ''}\n`);
      await (await lockDataFolder(dataDir)).release();
    } finally {
      await kill(other);
    }
  }, 60_000);

  it('waits for a holder that has not written its pid yet, and takes over such a file once it is old', async () => {
    await writeFile(lockFileOf(dataDir), '');
    const old = new Date(Date.now() - 60_000);
    await utimes(lockFileOf(dataDir), old, old);
    const lock = await lockDataFolder(dataDir);
    await lock.release();
  });
});
