import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildClientSchema, getIntrospectionQuery, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import { apiSchemaOf } from '../../gateway/src/supergraph/servedSchema';
import { REPO_ROOT } from './compose';

/**
 * The supergraph clients were last given: what a proposed change is compared with. Never the
 * working-tree supergraph.graphql, which `npm run dev` rewrites on every save (comparing a change
 * with itself finds nothing).
 */
export interface PublishedSupergraph {
  /** Where it was read, for people: `HEAD:supergraph.graphql`, a file, or a gateway's URL. */
  source: string;
  /** What clients can query. */
  apiSchema: GraphQLSchema;
  /** The supergraph's SDL with its authorization directives; null from a gateway (introspection carries none). */
  supergraphSdl: string | null;
  /** Whether it was read from git (not from a file that may have been rewritten since). */
  committed: boolean;
  /** Something the reader should know about the baseline, e.g. that the working-tree file differs. */
  note?: string;
}

export const SUPERGRAPH_PATH = path.join(REPO_ROOT, 'supergraph.graphql');
/** A gateway that does not answer introspection within this is not going to. */
const INTROSPECTION_TIMEOUT_MS = 15_000;
const run = promisify(execFile);

/** `--against`: a gateway's URL (its served schema), a supergraph file, or by default the committed supergraph. */
export function publishedSupergraph(against?: string): Promise<PublishedSupergraph> {
  if (!against) return committedSupergraph();
  if (/^https?:\/\//.test(against)) return gatewaySupergraph(against);
  return fileSupergraph(path.resolve(against));
}

/**
 * The committed supergraph: `git show HEAD:supergraph.graphql`. The file itself only outside a git
 * checkout (an unpacked release, a container), where nothing rewrites it under you.
 */
export async function committedSupergraph(file = SUPERGRAPH_PATH): Promise<PublishedSupergraph> {
  const relative = path.relative(REPO_ROOT, file);
  const directory = path.dirname(file);
  if (!(await insideGitCheckout(directory))) {
    return {
      ...(await fileSupergraph(file)),
      note: `${relative}: not in a git checkout, so the file as it is on disk.`,
    };
  }
  const sdl = await run('git', ['-C', directory, 'show', `HEAD:./${path.basename(file)}`], {
    maxBuffer: 64 * 1024 * 1024,
  })
    .then(({ stdout }) => stdout)
    .catch((error: unknown) => {
      throw new Error(
        `${relative} is not committed (${firstLine(error)}); commit it, or pass --against <file or gateway URL>.`,
      );
    });
  const onDisk = await readFile(file, 'utf8').catch(() => null);
  return {
    source: `HEAD:${relative}`,
    apiSchema: apiSchemaOf(sdl),
    supergraphSdl: sdl,
    committed: true,
    // `npm run dev` (or a compose not yet committed) changed it: say which one counts.
    note:
      onDisk !== null && onDisk !== sdl
        ? `${relative} in the working tree differs from HEAD's; HEAD's is the baseline.`
        : undefined,
  };
}

/** A supergraph file named on the command line. */
export async function fileSupergraph(file: string): Promise<PublishedSupergraph> {
  const sdl = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new Error(`Cannot read the supergraph ${file}: ${firstLine(error)}`);
  });
  const relative = path.relative(REPO_ROOT, file);
  const source = relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
  return { source, apiSchema: apiSchemaOf(sdl), supergraphSdl: sdl, committed: false };
}

/**
 * The schema a running gateway serves, by introspection on its GraphQL endpoint (the gateway
 * exposes no supergraph SDL, and its /ready only a hash, behind the management token).
 * Introspection is off in production unless INTROSPECTION=true.
 */
export async function gatewaySupergraph(graphqlUrl: string): Promise<PublishedSupergraph> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: getIntrospectionQuery({ inputValueDeprecation: true, specifiedByUrl: true }) }),
    signal: AbortSignal.timeout(INTROSPECTION_TIMEOUT_MS),
  }).catch((error: unknown) => {
    throw new Error(`Cannot reach the gateway at ${graphqlUrl}: ${firstLine(error)}`);
  });
  const body = (await response.json().catch(() => null)) as {
    data?: IntrospectionQuery;
    errors?: { message: string }[];
  } | null;
  if (!response.ok || !body?.data) {
    const why = body?.errors?.map((error) => error.message).join('; ') || `HTTP ${response.status}`;
    throw new Error(
      `The gateway at ${graphqlUrl} did not answer introspection (${why}); ` +
        'enable it there (INTROSPECTION=true) or check against the committed supergraph (no --against).',
    );
  }
  return {
    source: `the gateway at ${graphqlUrl}`,
    apiSchema: buildClientSchema(body.data),
    supergraphSdl: null,
    committed: false,
  };
}

async function insideGitCheckout(directory: string): Promise<boolean> {
  // No git installed, or not a repository: both mean "not a checkout".
  return run('git', ['-C', directory, 'rev-parse', '--is-inside-work-tree']).then(
    ({ stdout }) => stdout.trim() === 'true',
    () => false,
  );
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? (error as { stderr?: string }).stderr || error.message : String(error);
  return text.trim().split('\n')[0] ?? '';
}
