import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import { STATUS, type StatusCode } from '../errors/catalog';

/**
 * The extensions of an error a service writes itself: its code and gRPC status,
 * the request id when one was assigned (see assignRequestId) and the trace id
 * when the request is traced (see traceHttpRequests).
 */
export function errorExtensions(code: StatusCode, requestId?: unknown, traceId?: unknown) {
  return {
    code,
    grpcStatus: STATUS[code].grpcStatus,
    ...(typeof requestId === 'string' ? { requestId } : {}),
    ...(typeof traceId === 'string' ? { traceId } : {}),
  };
}

/** A GraphQL-shaped error body for failures that happen before GraphQL runs. */
export function errorBody(
  code: StatusCode,
  message: string,
  details: Record<string, unknown> = {},
  requestId?: unknown,
  traceId?: unknown,
) {
  return { errors: [{ message, extensions: { ...details, ...errorExtensions(code, requestId, traceId) } }] };
}

/**
 * Turns body-parser failures (bad JSON, too large) into GraphQL error
 * responses instead of Express's HTML error page with a stack trace.
 */
export const bodyErrorHandler: ErrorRequestHandler = (error: unknown, _req, res, next) => {
  if (res.headersSent) return next(error);
  // A GraphQL error response to a GraphQL request, whatever media type it asked for (see responseContentType).
  res.set('content-type', responseContentType(400, MEDIA_TYPES.graphqlResponse));
  const type = (error as { type?: unknown }).type;
  const { requestId, traceId } = res.locals;
  const status = (error as { status?: unknown }).status;
  if (type === 'entity.too.large') {
    res.status(413).json(errorBody('RESOURCE_EXHAUSTED', 'The request body is too large.', {}, requestId, traceId));
  } else if (type === 'entity.parse.failed') {
    res.status(400).json(errorBody('INVALID_ARGUMENT', 'The request body is not valid JSON.', {}, requestId, traceId));
  } else if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    res
      .status(415)
      .json(
        errorBody(
          'INVALID_ARGUMENT',
          'The request body’s encoding or charset is not supported.',
          {},
          requestId,
          traceId,
        ),
      );
  } else if (typeof status === 'number' && status >= 400 && status < 500) {
    // Any other refusal of the body parser is the client's mistake, not ours.
    res.status(status).json(errorBody('INVALID_ARGUMENT', 'The request body cannot be read.', {}, requestId, traceId));
  } else {
    res.status(500).json(errorBody('INTERNAL', 'Internal error.', {}, requestId, traceId));
  }
};

/** Answers unknown paths with a JSON 404 rather than Express's HTML page. */
export function notFoundHandler(app: Express): void {
  app.use((_req, res) => {
    res
      .status(404)
      .json(
        errorBody(
          'NOT_FOUND',
          'No such endpoint; GraphQL is served at /graphql.',
          {},
          res.locals.requestId,
          res.locals.traceId,
        ),
      );
  });
}

/**
 * GraphQL over HTTP, as the current draft of the GraphQL-over-HTTP
 * specification reads (docs/graphql-over-http.md lists the clauses): the
 * response media types, how one is chosen from `Accept`, and the status of
 * each kind of answer. The gateway and every subgraph answer by these rules.
 */
export const MEDIA_TYPES = {
  /** The specification's own response type: a GraphQL response whatever the status. */
  graphqlResponse: 'application/graphql-response+json',
  /** For legacy clients that accept nothing else. */
  json: 'application/json',
} as const;

export type ResponseMediaType = (typeof MEDIA_TYPES)[keyof typeof MEDIA_TYPES];

/** "294 Partial Success": data and errors (the draft's custom code, only with application/graphql-response+json). */
export const PARTIAL_SUCCESS = 294;

/**
 * The media type to answer in, from the request's `Accept` header (RFC 9110
 * content negotiation, q-values honoured): the one of the two the client
 * prefers, application/graphql-response+json on a tie, when `Accept` is absent
 * or empty, and for wildcards. Null when the client accepts neither (406).
 */
export function negotiateResponseType(accept: string | undefined | null): ResponseMediaType | null {
  if (accept === undefined || accept === null || accept.trim() === '') return MEDIA_TYPES.graphqlResponse;
  const ranges = accept.split(',').map(parseMediaRange);
  const quality = (type: ResponseMediaType): number => {
    // The most specific range that matches decides (RFC 9110 §12.5.1).
    const [major] = type.split('/');
    const match =
      ranges.find((r) => r.type === type) ??
      ranges.find((r) => r.type === `${major}/*`) ??
      ranges.find((r) => r.type === '*/*');
    return match?.q ?? 0;
  };
  const preferred = quality(MEDIA_TYPES.graphqlResponse);
  const legacy = quality(MEDIA_TYPES.json);
  if (preferred <= 0 && legacy <= 0) return null;
  return legacy > preferred ? MEDIA_TYPES.json : MEDIA_TYPES.graphqlResponse;
}

function parseMediaRange(range: string): { type: string; q: number } {
  const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
  const q = parameters.find((p) => p.startsWith('q='))?.slice(2);
  const value = q === undefined ? 1 : Number(q);
  return { type, q: Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 1 };
}

/**
 * The status of a GraphQL response that has a `data` entry (even null): 200
 * without errors, 294 with (the draft's "Status Codes"), except for a legacy
 * application/json client, which gets 200: the draft recommends 294 only
 * alongside application/graphql-response+json ("Partial success").
 */
export function statusOfExecutedResult(hasErrors: boolean, mediaType: ResponseMediaType): number {
  return hasErrors && mediaType === MEDIA_TYPES.graphqlResponse ? PARTIAL_SUCCESS : 200;
}

/**
 * The `content-type` of an answer: application/json for a legacy client's 2xx
 * answers, application/graphql-response+json otherwise, even to a legacy client
 * (the draft's "Body": only 2xx answers replace the media type, so a client can
 * tell a GraphQL error from an intermediary's).
 */
export function responseContentType(status: number, mediaType: ResponseMediaType): string {
  const type =
    mediaType === MEDIA_TYPES.json && status >= 200 && status < 300 ? MEDIA_TYPES.json : MEDIA_TYPES.graphqlResponse;
  return `${type}; charset=utf-8`;
}

/** Statuses of request errors (no `data`), by the code Apollo Server or graphql-js raised them with. */
const REQUEST_ERROR_STATUS: Record<string, number> = {
  GRAPHQL_PARSE_FAILED: 400,
  GRAPHQL_VALIDATION_FAILED: 422,
  // Variable coercion.
  BAD_USER_INPUT: 422,
  // No operation, an unknown one, or several without `operationName`.
  OPERATION_RESOLUTION_FAILURE: 422,
  // No `query` and no persisted query: not a well-formed GraphQL-over-HTTP request.
  BAD_REQUEST: 422,
  // The persisted operations RFC: a failed lookup is 400 or 404.
  PERSISTED_QUERY_NOT_FOUND: 404,
  PERSISTED_QUERY_NOT_SUPPORTED: 400,
};

/** The status of an answer without `data`: by its first error's original code, else the one already chosen. */
export function statusOfRequestError(codes: readonly unknown[], current: number | undefined): number {
  for (const code of codes) {
    const status = typeof code === 'string' ? REQUEST_ERROR_STATUS[code] : undefined;
    if (status !== undefined) return status;
  }
  return current !== undefined && current >= 400 ? current : 500;
}

/**
 * Apollo Server's side of these rules, for the gateway and every subgraph:
 * each answer's status and `content-type` follow from its body (data or not,
 * errors or not) and from the media type the client accepts. It runs last,
 * when the answer is complete (Apollo keeps a `content-type` already set).
 */
export function graphqlOverHttpPlugin<Ctx extends BaseContext>(): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response, errors }) {
          const mediaType = negotiateResponseType(request.http?.headers.get('accept')) ?? MEDIA_TYPES.graphqlResponse;
          const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          const status =
            result.data !== undefined
              ? statusOfExecutedResult((result.errors?.length ?? 0) > 0, mediaType)
              : statusOfRequestError(
                  (errors ?? []).map((error) => error.extensions?.code),
                  response.http.status,
                );
          response.http.status = status;
          if (response.body.kind === 'single')
            response.http.headers.set('content-type', responseContentType(status, mediaType));
        },
      };
    },
  };
}

/**
 * What `/graphql` refuses before any GraphQL work, in the words clients see:
 * the gateway's request path (gateway/src/pipeline/readRequest.ts) and the
 * subgraphs' guardGraphQLRequest both answer with these.
 */
export const GRAPHQL_HTTP_REFUSALS = {
  method: { status: 405, message: 'GraphQL is served over GET and POST only.', headers: { allow: 'GET, POST' } },
  accept: {
    status: 406,
    message: `The \`accept\` header must allow ${MEDIA_TYPES.graphqlResponse} or ${MEDIA_TYPES.json}.`,
    headers: {},
  },
  contentType: { status: 415, message: 'Send GraphQL requests as `content-type: application/json`.', headers: {} },
} as const;

/**
 * What the subgraphs' `/graphql` checks before Apollo Server sees a request
 * (the gateway's request path does the same in gateway/src/pipeline/readRequest.ts):
 * the method (405 with `Allow`), the response media type (406), the request's
 * content type (415) and the request's shape (422), each answered as a coded
 * GraphQL error in application/graphql-response+json.
 */
export const guardGraphQLRequest: RequestHandler = (req, res, next) => {
  const refuse = (status: number, message: string, headers: Record<string, string> = {}) => {
    res.status(status).set({ ...headers, 'content-type': responseContentType(status, MEDIA_TYPES.graphqlResponse) });
    res.send(JSON.stringify(errorBody('INVALID_ARGUMENT', message, {}, res.locals.requestId, res.locals.traceId)));
  };
  const { method, accept, contentType } = GRAPHQL_HTTP_REFUSALS;
  if (req.method !== 'GET' && req.method !== 'POST') return refuse(method.status, method.message, method.headers);
  if (negotiateResponseType(req.headers.accept) === null) return refuse(accept.status, accept.message);
  if (req.method === 'GET') return next();
  if (!req.is('application/json')) return refuse(contentType.status, contentType.message);
  const problem = requestShapeProblem(req.body);
  if (problem) return refuse(422, problem);
  next();
};

/** Why a JSON body is not a well-formed GraphQL-over-HTTP request (422), if it is not. */
export function requestShapeProblem(body: unknown): string | undefined {
  const isObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (Array.isArray(body)) return 'Batched requests are not supported; send one operation per request.';
  if (!isObject(body)) return 'The request body must be a JSON object with a `query`.';
  const fields = body as Record<string, unknown>;
  const optional = (name: string, ok: (value: unknown) => boolean, what: string) =>
    fields[name] === undefined || fields[name] === null || ok(fields[name])
      ? undefined
      : `\`${name}\` must be ${what}.`;
  return (
    optional('query', (v) => typeof v === 'string', 'a string') ??
    optional('operationName', (v) => typeof v === 'string', 'a string') ??
    optional('variables', isObject, 'a JSON object') ??
    optional('extensions', isObject, 'a JSON object')
  );
}
