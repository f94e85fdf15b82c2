import { graphError, type CallerIdentity } from '@car-check/service-kit';
import { scopesNeeded, type Dimension, type ReportFilter } from './readModel/dimensions';

/**
 * A caller gets only aggregates over data they may read: grouping or filtering by a dimension
 * needs its owner's read scope (report:read alone only counts cars of no particular kind).
 * PERMISSION_DENIED names the first scope missing and the dimensions that needed it.
 */
export function authorizeReport(
  caller: CallerIdentity,
  coordinate: string,
  groupBy: readonly Dimension[],
  filter: ReportFilter,
): void {
  for (const [scope, dimensions] of scopesNeeded(groupBy, filter)) {
    if (caller.scopes.includes(scope)) continue;
    throw graphError(
      'PERMISSION_DENIED',
      `${coordinate} by ${dimensions.join(', ')} needs the ${scope} scope: a report only aggregates data its caller may read.`,
      { coordinate, requiredScope: scope, dimensions },
    );
  }
}
