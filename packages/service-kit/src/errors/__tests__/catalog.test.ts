import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GraphQLError } from 'graphql';
import { renderErrorDocs } from '../../../../../scripts/lib/errorDocs';
import { graphError, MASKED_CODES, STATUS, STATUS_NAMES, statusCodeOf, type StatusCode } from '../catalog';

describe('the error catalog', () => {
  it('has all 17 gRPC codes with their numbers, in order', () => {
    expect(STATUS_NAMES.map((name) => STATUS[name].grpcStatus)).toEqual([...Array(17).keys()]);
    expect(STATUS_NAMES).toEqual([
      'OK',
      'CANCELLED',
      'UNKNOWN',
      'INVALID_ARGUMENT',
      'DEADLINE_EXCEEDED',
      'NOT_FOUND',
      'ALREADY_EXISTS',
      'PERMISSION_DENIED',
      'RESOURCE_EXHAUSTED',
      'FAILED_PRECONDITION',
      'ABORTED',
      'OUT_OF_RANGE',
      'UNIMPLEMENTED',
      'INTERNAL',
      'UNAVAILABLE',
      'DATA_LOSS',
      'UNAUTHENTICATED',
    ]);
  });

  it('says which codes a client may retry', () => {
    const retryable = STATUS_NAMES.filter((name) => STATUS[name].retryable);
    expect(retryable.sort()).toEqual(['ABORTED', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE']);
  });

  it.each(STATUS_NAMES.filter((name): name is StatusCode => name !== 'OK'))('builds a GraphQLError for %s', (code) => {
    const error = graphError(code, 'message', { field: 'input.x' });
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error.extensions).toEqual({ field: 'input.x', code, grpcStatus: STATUS[code].grpcStatus });
    expect(statusCodeOf(error)).toBe(code);
  });

  it('never treats OK, or a foreign code, as an error code', () => {
    expect(statusCodeOf({ extensions: { code: 'OK' } })).toBeUndefined();
    expect(statusCodeOf({ extensions: { code: 'BAD_USER_INPUT' } })).toBeUndefined();
  });

  it('masks exactly the codes whose messages could leak internals', () => {
    expect([...MASKED_CODES].sort()).toEqual(['INTERNAL', 'UNKNOWN']);
  });

  it('matches the committed docs/errors.md (run `npm run docs:errors` after changing it)', () => {
    const committed = readFileSync(path.resolve(__dirname, '../../../../../docs/errors.md'), 'utf8');
    expect(committed).toBe(renderErrorDocs());
  });
});
