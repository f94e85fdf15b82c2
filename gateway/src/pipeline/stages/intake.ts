import { bodyLimit } from '@car-check/service-kit';
import { QUERY_LIMITS_ENV } from '../../limits/checkLimits';
import {
  acceptedMediaType,
  acceptedStream,
  acceptsDeferredParts,
  mediaTypeBeside,
  parseByteSize,
  readGraphQLRequest,
} from '../readRequest';
import { defineStage } from '../stage';

/**
 * Reads the GraphQL request from HTTP (see readRequest.ts: methods, content types,
 * body size and nesting, GET's CSRF check), the media type to answer in, the
 * stream it accepts for a subscription, and whether it accepts @defer's parts.
 */
export const intake = defineStage({
  name: 'intake',
  env: {
    BODY_LIMIT: bodyLimit(),
    MAX_NESTING: QUERY_LIMITS_ENV.MAX_NESTING,
  },
  configure: (env) => ({
    intakeLimits: { bodyLimitBytes: parseByteSize(env.BODY_LIMIT), maxNesting: env.MAX_NESTING },
  }),
  create: (config) => async (request, next) => {
    request.params = await readGraphQLRequest(request.http.req, request.http.url, config.intakeLimits);
    // A stream for a subscription (documents refuses a subscription without one).
    request.streaming = acceptedStream(request.http.req);
    // @defer's multipart, for a query with @defer (stages/defer.ts refuses one without @defer that accepts only it).
    request.acceptsDeferredParts = acceptsDeferredParts(request.http.req);
    request.mediaType =
      request.streaming || request.acceptsDeferredParts
        ? mediaTypeBeside(request.http.req)
        : acceptedMediaType(request.http.req);
    return next();
  },
});
