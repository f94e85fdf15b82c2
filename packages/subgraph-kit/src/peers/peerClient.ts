import {
  graphError,
  ANONYMOUS,
  signRequest,
  REQUEST_ID_HEADER,
  traceHeaders,
  type Logger,
} from '@car-check/service-kit';

export interface PeerResponse<Data> {
  data?: Data | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/**
 * A subgraph calling another subgraph directly, for the few checks that cross
 * service boundaries (does this cost center exist? does it still have cars?).
 * Failures become catalog errors: a peer that cannot answer makes the write
 * fail closed with UNAVAILABLE or DEADLINE_EXCEEDED, never proceed unchecked.
 */
export class PeerClient {
  constructor(
    readonly name: string,
    private readonly url: string,
    private readonly timeoutMs: number,
    private readonly log: Logger,
    /** The calling subgraph, signing as a service with only the scopes each call needs. */
    private readonly caller: { service: string; secret: Buffer },
  ) {}

  async request<Data>(
    query: string,
    variables: Record<string, unknown>,
    requestId: string,
    scopes: string[],
  ): Promise<PeerResponse<Data>> {
    let response: Response;
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const body = JSON.stringify({ query, variables });
    const identity = { ...ANONYMOUS, service: this.caller.service, scopes };
    const signature = await signRequest(identity, { method: 'POST', url: this.url, body }, this.caller.secret, {
      audience: this.name,
      requestId,
      deadline: Date.now() + this.timeoutMs,
    });
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [REQUEST_ID_HEADER]: requestId,
          // The request's trace goes on into the peer (when spans are recorded; see packages/service-kit/src/tracing).
          ...traceHeaders(),
          ...signature,
        },
        body,
        signal: deadline,
      });
    } catch (error) {
      const timedOut = deadline.aborted;
      this.log.warn({ peer: this.name, requestId, err: error }, 'peer subgraph call failed');
      throw timedOut
        ? graphError('DEADLINE_EXCEEDED', `The ${this.name} service did not answer in time.`, { peer: this.name })
        : graphError('UNAVAILABLE', `The ${this.name} service cannot be reached; retry later.`, { peer: this.name });
    }
    const answer = (await response.json().catch(() => null)) as PeerResponse<Data> | null;
    if (!answer || (answer.data === undefined && !answer.errors)) {
      this.log.warn({ peer: this.name, requestId, status: response.status }, 'peer subgraph answered without GraphQL');
      throw graphError('UNAVAILABLE', `The ${this.name} service gave no usable answer; retry later.`, {
        peer: this.name,
      });
    }
    return answer;
  }
}

const ENTITY_QUERY = (typename: string, selection: string) =>
  `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${typename} { ${selection} } } }`;

/**
 * Asks the owning subgraph to resolve one entity reference, the same call the
 * gateway makes. Resolves to the selected fields, or null when the owner says
 * NOT_FOUND; any other answer is the owner failing, reported as UNAVAILABLE.
 */
export async function resolveEntity<T>(
  client: PeerClient,
  reference: { __typename: string; id: string },
  selection: string,
  requestId: string,
  scopes: string[],
): Promise<T | null> {
  const body = await client.request<{ _entities: (T | null)[] }>(
    ENTITY_QUERY(reference.__typename, selection),
    { representations: [reference] },
    requestId,
    scopes,
  );
  const entity = body.data?._entities?.[0] ?? null;
  if (entity) return entity;
  const notFound = body.errors?.every((error) => error.extensions?.code === 'NOT_FOUND') ?? false;
  if (notFound && body.errors?.length) return null;
  throw graphError(
    'UNAVAILABLE',
    `The ${client.name} service could not resolve ${reference.__typename} ${reference.id}.`,
    {
      peer: client.name,
    },
  );
}
