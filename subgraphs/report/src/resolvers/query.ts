import { validate } from '@car-check/subgraph-kit';
import type { QueryResolvers } from '../__generated__/resolvers-types';
import { authorizeReport } from '../authorize';
import { bucketsOf } from '../readModel/buckets';
import { reportFilterOf } from '../readModel/dimensions';
import { fleetChanges } from '../readModel/fleetChanges';
import { fleetReport } from '../readModel/fleetReport';
import { freshnessOf } from '../readModel/freshness';
import { fleetFilter, fleetPeriod, groupBy as groupBySchema, MAX_BUCKETS } from '../validation';

export const Query: QueryResolvers = {
  fleetReport: async (_parent, args, { prisma, caller, services }) => {
    const groupBy = validate(groupBySchema, args.groupBy, 'groupBy');
    const filter = reportFilterOf(validate(fleetFilter, args.filter, 'filter'));
    authorizeReport(caller, 'Query.fleetReport', groupBy, filter);
    const now = new Date();
    // An instant at or after now is now: the versions cannot know more than the rollup.
    const instant = args.asOf && new Date(args.asOf).getTime() < now.getTime() ? new Date(args.asOf) : null;
    // Freshness first: the figures read after it are at least as fresh as it says.
    const freshness = await freshnessOf(prisma, services.consumers, now);
    const report = await fleetReport(prisma, groupBy, { instant, filter }, now);
    return { ...report, freshness };
  },

  fleetChanges: async (_parent, args, { prisma, caller, services }) => {
    const groupBy = validate(groupBySchema, args.groupBy ?? [], 'groupBy');
    const filter = reportFilterOf(validate(fleetFilter, args.filter, 'filter'));
    const period = validate(fleetPeriod, args.period, 'period');
    authorizeReport(caller, 'Query.fleetChanges', groupBy, filter);
    const buckets = bucketsOf(period.from, period.to, period.granularity, MAX_BUCKETS);
    const freshness = await freshnessOf(prisma, services.consumers);
    const tallies = await fleetChanges(prisma, buckets, groupBy, filter);
    return {
      buckets: buckets.map((bucket, index) => ({ ...bucket, groups: tallies[index] ?? [] })),
      freshness,
    };
  },
};
