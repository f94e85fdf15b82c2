import type { z } from 'zod';
import { positiveCount } from '@car-check/service-kit';
import { tooLarge } from '../pipeline/refusal';
import type { Measurement } from './measure';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxFields: number;
  maxCost: number;
  /** Lexical tokens of the operation text: bounds parsing itself. */
  maxTokens: number;
  /** Brackets open at once in the operation text and the JSON body, and fragments spread within fragments: bounds every recursive walk. */
  maxNesting: number;
  /** Length assumed for a list field that states no size (see the cost model). */
  defaultListSize: number;
}

/** The variables of the query limits (the documents stage owns them; intake reads MAX_NESTING too). */
export const QUERY_LIMITS_ENV = {
  MAX_QUERY_DEPTH: positiveCount(15),
  MAX_QUERY_ALIASES: positiveCount(50),
  MAX_QUERY_FIELDS: positiveCount(1_000),
  MAX_QUERY_COST: positiveCount(10_000),
  MAX_QUERY_TOKENS: positiveCount(10_000),
  MAX_NESTING: positiveCount(64),
  DEFAULT_LIST_SIZE: positiveCount(20),
};

export function queryLimitsOf(env: z.infer<z.ZodObject<typeof QUERY_LIMITS_ENV>>): QueryLimits {
  return {
    maxDepth: env.MAX_QUERY_DEPTH,
    maxAliases: env.MAX_QUERY_ALIASES,
    maxFields: env.MAX_QUERY_FIELDS,
    maxCost: env.MAX_QUERY_COST,
    maxTokens: env.MAX_QUERY_TOKENS,
    maxNesting: env.MAX_NESTING,
    defaultListSize: env.DEFAULT_LIST_SIZE,
  };
}

const CHECKS: [keyof Measurement & keyof typeof LABELS, keyof QueryLimits][] = [
  ['depth', 'maxDepth'],
  ['aliases', 'maxAliases'],
  ['fields', 'maxFields'],
  ['cost', 'maxCost'],
];

const LABELS = {
  depth: 'Query depth',
  aliases: 'Number of aliases',
  fields: 'Number of fields',
  cost: 'Estimated query cost',
};

/** Refuses (RESOURCE_EXHAUSTED, HTTP 400) the first measure over its limit. */
export function checkLimits(measurement: Measurement, limits: QueryLimits): void {
  for (const [measure, limitName] of CHECKS) {
    const actual = measurement[measure];
    const limit = limits[limitName];
    // `!(a <= b)` also refuses NaN.
    if (!(actual <= limit)) {
      const shown = Number.isFinite(actual) ? actual : 'unbounded';
      throw tooLarge(`${LABELS[measure]} ${shown} exceeds the limit of ${limit}.`, { limit, actual: shown });
    }
  }
}
