import type { GraphQLBody, Sent } from '../fetch';
import { memberAlias } from './mergedOperation';

type GraphQLError = NonNullable<GraphQLBody['errors']>[number];

const ALIAS = /^_(\d+)$/;

/**
 * What each member of a merged call would have got had it been sent alone: its
 * `_entities` (the data under its alias), the errors on its alias's paths with the
 * path written from `_entities`, and every error without such a path (a refusal of
 * the whole request, say). A call that got no GraphQL answer (unreachable, timed
 * out, cancelled) fails each member the same way.
 */
export function splitAnswer(sent: Sent, members: number): Sent[] {
  if (sent.kind !== 'answered' || !sent.graphql) return Array.from({ length: members }, () => sent);
  const { data, errors, extensions } = sent.graphql;
  const own: GraphQLError[][] = Array.from({ length: members }, () => []);
  const everyone: GraphQLError[] = [];
  for (const error of errors ?? []) {
    const first = error.path?.[0];
    const index = typeof first === 'string' ? ALIAS.exec(first)?.[1] : undefined;
    const member = index === undefined ? undefined : own[Number(index)];
    if (member) member.push({ ...error, path: ['_entities', ...error.path!.slice(1)] });
    else everyone.push(error);
  }
  return own.map((memberErrors, index) => {
    const entities = data?.[memberAlias(index)];
    const graphql: GraphQLBody = {
      // No data (the whole request failed), or none under this alias: as a refused call.
      data: entities === undefined ? (data === undefined ? undefined : null) : { _entities: entities },
      // Like a call of its own that got no error: no `errors` at all.
      ...(memberErrors.length + everyone.length ? { errors: [...memberErrors, ...everyone] } : {}),
      ...(extensions ? { extensions } : {}),
    };
    return { kind: 'answered', status: sent.status, graphql };
  });
}
