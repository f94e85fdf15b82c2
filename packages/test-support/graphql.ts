/** A GraphQL response as a client sees it. */
export interface GraphQLResponse<Data = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: Data | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** Sends one GraphQL request over real HTTP, the way a frontend does. */
export async function postGraphQL<Data = Record<string, unknown>>(
  url: string,
  body: { query: string; variables?: Record<string, unknown>; operationName?: string } | string,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<Data>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const json = (await response.json()) as Omit<GraphQLResponse<Data>, 'status' | 'headers'>;
  return { status: response.status, headers: response.headers, ...json };
}

/** `[path, code]` of each error, sorted by path: errors of one response arrive in no fixed order. */
export function errorCodesByPath(response: GraphQLResponse<unknown>): [(string | number)[] | undefined, unknown][] {
  return (response.errors ?? [])
    .map((error): [(string | number)[] | undefined, unknown] => [error.path, error.extensions?.code])
    .sort(([a], [b]) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** The data of a response that must have succeeded; fails loudly with its errors otherwise. */
export function dataOf<Data>(response: GraphQLResponse<Data>): Data {
  if (response.errors?.length || !response.data) {
    throw new Error(`Expected data, got HTTP ${response.status}: ${JSON.stringify(response.errors)}`);
  }
  return response.data;
}

/** The id of the first car `token`'s caller can read, through the gateway at `url` (a seeded graph has some). */
export async function firstCarId(url: string, token: string): Promise<string> {
  const cars = dataOf(
    await postGraphQL<{ cars: { edges: { node: { id: string } }[] } }>(
      url,
      { query: '{ cars(first: 1) { edges { node { id } } } }' },
      { authorization: `Bearer ${token}` },
    ),
  );
  const first = cars.cars.edges[0];
  if (!first) throw new Error('Expected a seeded car');
  return first.node.id;
}
