import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  ANONYMOUS,
  type CallerIdentity,
  ConfigError,
  nodeEnv,
  readEnv,
  resolveSigningSecret,
  routingUrlOf,
  SCOPES,
  scopesForGroups,
  signRequest,
  signingConfigFromEnv,
  subgraphNames,
  subgraphUrlVariable,
} from '@car-check/service-kit';
import { seedUsers } from '@car-check/subgraph-kit/demo';

export interface SignedQuery {
  subgraph: string;
  /** A demo user's name (their id and their groups' scopes), or `anonymous`. */
  as: string;
  /** Replaces the user's scopes, e.g. to try a field's `@requiresScopes`. */
  scopes?: string[];
  query: string;
  variables?: Record<string, unknown>;
}

/**
 * A subgraph team's way to query its own subgraph in development: the request
 * is signed as the gateway would sign it for a chosen identity, with the
 * development signing secret (GATEWAY_SIGNING_SECRET, or the one generated
 * under DATA_DIR by `npm start`). Refused in production, where only the
 * gateway holds the secret.
 */
export async function sendSignedQuery(request: SignedQuery, env: NodeJS.ProcessEnv = process.env): Promise<unknown> {
  const { NODE_ENV } = readEnv({ NODE_ENV: nodeEnv() }, env);
  if (NODE_ENV === 'production')
    throw new ConfigError('query:subgraph is a development tool: it is refused with NODE_ENV=production.');
  if (!subgraphNames().includes(request.subgraph)) {
    throw new ConfigError(`Unknown subgraph "${request.subgraph}"; expected one of ${subgraphNames().join(', ')}.`);
  }
  const url = readEnv({ [subgraphUrlVariable(request.subgraph)]: z.url().optional() }, env)[
    subgraphUrlVariable(request.subgraph)
  ] as string | undefined;
  const secret = await resolveSigningSecret(signingConfigFromEnv(env, false).source);
  const caller = callerFor(request.as, request.scopes);
  const body = JSON.stringify({ query: request.query, variables: request.variables ?? {} });
  const target = url ?? routingUrlOf(request.subgraph);
  const requestId = `dev-${randomUUID()}`;
  const response = await fetch(target, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-request-id': requestId,
      ...(await signRequest(caller, { method: 'POST', url: target, body }, secret, {
        audience: request.subgraph,
        requestId,
        deadline: Date.now() + 30_000,
      })),
    },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  return response.json();
}

function callerFor(as: string, scopes: string[] | undefined): CallerIdentity {
  const unknownScopes = (scopes ?? []).filter((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (unknownScopes.length)
    throw new ConfigError(`Unknown scope(s) ${unknownScopes.join(', ')}; expected some of ${SCOPES.join(', ')}.`);
  if (as === 'anonymous') return { ...ANONYMOUS, scopes: scopes ?? [] };
  const user = seedUsers.find((candidate) => candidate.username === as);
  if (!user)
    throw new ConfigError(
      `Unknown demo user "${as}"; expected anonymous or one of ${seedUsers.map((u) => u.username).join(', ')}.`,
    );
  return { ...ANONYMOUS, userId: user.id, scopes: scopes ?? scopesForGroups(user.groups) };
}
