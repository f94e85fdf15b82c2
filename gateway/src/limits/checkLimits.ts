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

const CHECKS: [keyof Measurement & keyof typeof LABELS, keyof QueryLimits][] = [
  ['depth', 'maxDepth'],
  ['aliases', 'maxAliases'],
  ['fields', 'maxFields'],
  ['cost', 'maxCost'],
];

const LABELS = { depth: 'Query depth', aliases: 'Number of aliases', fields: 'Number of fields', cost: 'Estimated query cost' };

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
