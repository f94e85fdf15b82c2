import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, visit } from 'graphql';
import { STATUS } from '@car-check/service-kit';

// C0 controls (NUL included) and DEL: no text field of this graph holds them, and
// databases refuse some of them (PostgreSQL rejects NUL) with an error that would be INTERNAL.
const CONTROL = /[\u0000-\u001f\u007f]/;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string cannot be stored as text, or null when it can. */
export function textProblem(value: string): string | null {
  if (CONTROL.test(value)) return 'contains a control character';
  if (UNPAIRED_SURROGATE.test(value)) return 'contains an unpaired UTF-16 surrogate';
  return null;
}

/**
 * Refuses, with INVALID_ARGUMENT, any operation whose string arguments or
 * variables hold text no database column should: control characters or
 * unpaired surrogates. Checked once per request, before any resolver runs.
 */
export function textInputPlugin(): ApolloServerPlugin {
  const refuse = (where: string, problem: string) =>
    new GraphQLError(`Text input ${where} ${problem}.`, {
      extensions: {
        code: 'INVALID_ARGUMENT',
        grpcStatus: STATUS.INVALID_ARGUMENT.grpcStatus,
        field: where,
        http: { status: 400 },
      },
    });
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          // Variables: walked without recursion (their nesting is bounded at the gateway, but not trusted here).
          const pending: [string, unknown][] = Object.entries(request.variables ?? {}).map(([name, value]) => [
            `$${name}`,
            value,
          ]);
          while (pending.length > 0) {
            const [where, value] = pending.pop()!;
            if (typeof value === 'string') {
              const problem = textProblem(value);
              if (problem) throw refuse(where, problem);
            } else if (value && typeof value === 'object') {
              for (const [key, inner] of Object.entries(value)) pending.push([`${where}.${key}`, inner]);
            }
          }
          let literal: GraphQLError | undefined;
          visit(document, {
            [Kind.STRING]: (node) => {
              const problem = textProblem(node.value);
              if (problem && !literal) literal = refuse('in the document', problem);
            },
          });
          if (literal) throw literal;
        },
      };
    },
  };
}
