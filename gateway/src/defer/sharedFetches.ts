import type { GraphQLDataSource, ServiceMap } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';

/**
 * The subgraphs of one deferred request, each fetch made once: the parts of
 * a deferred answer each run the primary part's fetches again (a deferred
 * fetch needs the keys they return), and the same subgraph, query and
 * variables within one request get the first call's answer instead of a
 * second call. So the primary's fetches go out once, and every part sees
 * the same objects (a list cannot change between the first part and the
 * next). Each caller gets its own copy of the data: Apollo's executor merges
 * into what a fetch returns.
 */
export function sharedFetches(subgraphs: Readonly<Record<string, GraphQLDataSource>>): ServiceMap {
  const answers = new Map<string, Promise<GatewayGraphQLResponse>>();
  return Object.fromEntries(
    Object.entries(subgraphs).map(([name, source]): [string, GraphQLDataSource] => [
      name,
      {
        process: (options) => {
          const key = `${name}\n${options.request.query ?? ''}\n${JSON.stringify(options.request.variables ?? {})}`;
          let answer = answers.get(key);
          if (!answer) answers.set(key, (answer = source.process(options)));
          return answer.then(copyOf);
        },
      },
    ]),
  );
}

/** The data copied (the executor merges entity fields into it); errors are only read. */
function copyOf(response: GatewayGraphQLResponse): GatewayGraphQLResponse {
  return response.data ? { ...response, data: structuredClone(response.data) } : response;
}
