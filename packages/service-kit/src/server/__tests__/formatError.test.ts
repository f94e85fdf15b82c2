import { GraphQLError } from 'graphql';
import { graphError } from '../../errors/catalog';
import { formatError, MASKED_MESSAGE } from '../formatError';

const format = (error: GraphQLError) => formatError(error.toJSON(), error);

describe('formatError', () => {
  it('keeps catalog errors as they are, adding nothing but the number', () => {
    const error = graphError('NOT_FOUND', 'Car 1 does not exist.', { entity: 'Car' }, { path: ['car'] });
    expect(format(error)).toEqual({
      message: 'Car 1 does not exist.',
      path: ['car'],
      extensions: { entity: 'Car', code: 'NOT_FOUND', grpcStatus: 5 },
    });
  });

  it.each([
    ['GRAPHQL_PARSE_FAILED', 'INVALID_ARGUMENT', 3],
    ['GRAPHQL_VALIDATION_FAILED', 'INVALID_ARGUMENT', 3],
    ['BAD_USER_INPUT', 'INVALID_ARGUMENT', 3],
    ['PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_FOUND', 5],
    ['PERSISTED_QUERY_NOT_SUPPORTED', 'PERSISTED_QUERY_NOT_SUPPORTED', 12],
  ])("translates Apollo's %s", (apolloCode, code, grpcStatus) => {
    const error = new GraphQLError('apollo says no', { extensions: { code: apolloCode } });
    expect(format(error).extensions).toEqual({ code, grpcStatus });
  });

  it('masks unexpected errors: no message, stack or cause reaches the client', () => {
    const cause = new Error('relation "car" does not exist at /srv/app/query.ts:12');
    const error = new GraphQLError(cause.message, {
      originalError: cause,
      path: ['cars'],
      extensions: { stacktrace: ['at x'] },
    });
    expect(format(error)).toEqual({
      message: MASKED_MESSAGE,
      path: ['cars'],
      extensions: { code: 'INTERNAL', grpcStatus: 13 },
    });
  });

  it('reports a thrown non-error value as UNKNOWN, masked', () => {
    const error = new GraphQLError('Unexpected error value: "boom"', {
      originalError: new Error('Unexpected error value: "boom"'),
    });
    expect(format(error)).toEqual({ message: MASKED_MESSAGE, extensions: { code: 'UNKNOWN', grpcStatus: 2 } });
  });

  it('masks INTERNAL errors relayed from a subgraph but keeps the service name', () => {
    const error = new GraphQLError('secret detail', { extensions: { code: 'INTERNAL', serviceName: 'car' } });
    expect(format(error)).toEqual({
      message: MASKED_MESSAGE,
      extensions: { code: 'INTERNAL', grpcStatus: 13, serviceName: 'car' },
    });
  });
});
