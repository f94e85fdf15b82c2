import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sha256Hex } from '../crypto/hash';

/** What a running service is: the build it runs, and the schema it serves. */
export interface BuildInfo {
  version: string;
  /** sha256 of the SDL this service serves (a subgraph's schema, the gateway's supergraph); null until known. */
  schemaHash: string | null;
}

let packageVersion: string | undefined;

/**
 * BUILD_VERSION (set by a release pipeline, e.g. a git commit), else the version of
 * the service package being run (`@car-check/subgraph-car`'s for `node
 * subgraphs/car/dist/index.js`), else this shared package's.
 */
export function buildVersion(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BUILD_VERSION?.trim()) return env.BUILD_VERSION.trim();
  packageVersion ??= (require.main && servicePackageVersion(require.main.filename)) ?? ownPackage().version;
  return packageVersion;
}

interface PackageJson {
  name?: string;
  version: string;
}

const ownPackage = () => findPackageJson(__dirname)!;

function servicePackageVersion(mainFile: string): string | undefined {
  const found = findPackageJson(path.dirname(mainFile));
  return found?.name?.startsWith('@car-check/') ? found.version : undefined;
}

function findPackageJson(from: string): PackageJson | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
    } catch {
      if (path.dirname(dir) === dir) return undefined;
    }
  }
}

export const schemaHashOf = (sdl: string) => sha256Hex(sdl);
