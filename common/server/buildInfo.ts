import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** What a running service is: the build it runs, and the schema it serves. */
export interface BuildInfo {
  version: string;
  /** sha256 of the SDL this service serves (a subgraph's schema, the gateway's supergraph); null until known. */
  schemaHash: string | null;
}

let packageVersion: string | undefined;

/** BUILD_VERSION (set by a release pipeline, e.g. a git commit), else the package's version. */
export function buildVersion(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BUILD_VERSION?.trim()) return env.BUILD_VERSION.trim();
  packageVersion ??= (JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  return packageVersion;
}

export const schemaHashOf = (sdl: string) => createHash('sha256').update(sdl).digest('hex');
