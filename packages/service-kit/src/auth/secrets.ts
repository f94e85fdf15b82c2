import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A development secret shared by the services of one checkout: created once
 * under DATA_DIR by whichever service starts first, then read by the others.
 * Never used in production, where configuration must provide it.
 */
export async function developmentSecret(dataDir: string, name: string, bytes = 32): Promise<Buffer> {
  const text = await developmentFile(dataDir, name, () => randomBytes(bytes).toString('base64url'));
  return Buffer.from(text, 'base64url');
}

/**
 * A file under DATA_DIR/keys created once with `create()` (first writer wins,
 * atomically) and read back as text by every later caller.
 */
export async function developmentFile(dataDir: string, name: string, create: () => string): Promise<string> {
  const dir = path.resolve(dataDir, 'keys');
  const file = path.join(dir, name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // Write aside, then link into place: of several services starting at once,
  // exactly one link succeeds and everyone reads the same complete file.
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, create(), { mode: 0o600 });
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary);
  }
  return (await readFile(file, 'utf8')).trim();
}
