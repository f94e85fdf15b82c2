import { encodeCursor, entityRef, parsePage, type SortOrder } from '@car-check/subgraph-kit';
import type {
  FleetGroupKeyResolvers,
  FleetGroupResolvers,
  FleetReportResolvers,
} from '../__generated__/resolvers-types';
import type { Dimension } from '../readModel/dimensions';
import { carsOfGroup } from '../readModel/fleetReport';
import { pageOfGroups, parseGroupCursor } from '../readModel/groupOrder';
import type { FleetGroupKeyModel } from '../readModel/reportTypes';

/** A group's cars are listed by id. */
const BY_CAR_ID: SortOrder = { field: 'carId', direction: 'asc', type: 'string' };
/** Groups are ordered by count and key (see groupOrder.ts); only `first` is checked here. */
const GROUP_ORDER: SortOrder = { field: 'fleetGroup', direction: 'desc', type: 'string' };
/**
 * The largest page of groups. A report's groups are computed whole by one statement whatever the
 * page (fleetReport.ts), and a group is a key and a count: paging them only bounds the answer's
 * size, so a page holds every group of a fleet's largest grouping (one per cost center) and a
 * frontend gets the whole report in one query. The gateway's cost limit still bounds what is
 * selected inside each group (its cars).
 */
export const MAX_GROUPS_PAGE = 1000;

export const FleetReport: FleetReportResolvers = {
  groups: (report, args) => {
    const { first } = parsePage({ first: args.first }, GROUP_ORDER, MAX_GROUPS_PAGE);
    const after = args.after ? parseGroupCursor(args.after, report.groupBy.length) : null;
    return pageOfGroups(report.groups, first, after);
  },
};

export const FleetGroup: FleetGroupResolvers = {
  key: (group) => group,
  cars: async (group, args, { prisma }) => {
    const page = parsePage(args, BY_CAR_ID);
    const ids = await carsOfGroup(prisma, group, page.after?.id ?? null, page.first + 1);
    const edges = ids.slice(0, page.first).map((id) => ({
      cursor: encodeCursor({ field: BY_CAR_ID.field, key: id, id }),
      node: { id },
    }));
    return {
      edges,
      pageInfo: { hasNextPage: ids.length > page.first, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount: group.carCount,
    };
  },
};

const valueOf = (key: FleetGroupKeyModel, dimension: Dimension): string | null => {
  const index = key.groupBy.indexOf(dimension);
  return index === -1 ? null : (key.values[index] ?? null);
};

export const FleetGroupKey: FleetGroupKeyResolvers = {
  society: (key) => valueOf(key, 'SOCIETY'),
  costCenter: (key) => entityRef(valueOf(key, 'COST_CENTER')),
  manager: (key) => entityRef(valueOf(key, 'MANAGER')),
  brand: (key) => valueOf(key, 'BRAND'),
  model: (key) => valueOf(key, 'MODEL'),
};

export const FleetChangeGroup = { key: (group: FleetGroupKeyModel) => group };
