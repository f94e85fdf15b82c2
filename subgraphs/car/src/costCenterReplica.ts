import { type Logger, type ServiceMetrics } from '@car-check/service-kit';
import {
  type CloudEvent,
  type ConsumerSql,
  eventVerifierFromEnv,
  FeedConsumer,
  inTurn,
  redriveDeadLetters,
  type RedriveReport,
  replayFeed,
  revisionOf,
  type ReplayReport,
} from '@car-check/events';
import {
  consumerTransaction,
  isId,
  ownerEventConsumer,
  ownerFeedSource,
  type SubgraphConfig,
} from '@car-check/subgraph-kit';
import type { PrismaClient } from './prisma';

/**
 * The car subgraph's read model of cost centers: `cost_center_replica`, fed by
 * the cost-center subgraph's `cost-center.*` events through its feed (embedded
 * delivery, packages/events/src/events/consumer.ts). It lets `cars(filter:)` filter by a
 * cost center's code, society name or manager in one SQL statement, without
 * asking the cost-center subgraph at read time. Eventually consistent.
 *
 * Events are applied by revision: one whose revision is not above the stored
 * row's is ignored (a redelivery, or older than what is there), so applying
 * is idempotent. A deletion keeps the row as a tombstone with its revision, so
 * a late update cannot resurrect it. Records older than events carry no
 * revision: they are stored as revision 0 and applied in feed order.
 */

/** The consumer's name: its cursor, its dead letters, its metrics label. */
export const COST_CENTER_REPLICA = 'cost-center-replica';
const OWNER = 'cost-center';

interface ReplicaRow {
  revision: number;
  deleted: boolean;
}

interface Fields {
  code?: string;
  societyName?: string;
  managerId?: string | null;
}

/** The cost center's fields an event's changes set (`to`; `from` for a deletion), checked. */
function fieldsOf(event: CloudEvent, side: 'from' | 'to'): Fields {
  const changes = event.data?.changes;
  if (!Array.isArray(changes)) throw new Error('the event has no changes list');
  const fields: Fields = {};
  for (const change of changes) {
    const value: unknown = change?.[side];
    switch (change?.field) {
      case 'code':
      case 'societyName':
        if (typeof value !== 'string' || value.length === 0)
          throw new Error(`${change.field} must be a non-empty string, not ${JSON.stringify(value)}`);
        fields[change.field] = value;
        break;
      case 'managerId':
        if (value !== null && !isId(value))
          throw new Error(`managerId must be an id or null, not ${JSON.stringify(value)}`);
        fields.managerId = value;
        break;
      default:
      // Fields the replica does not keep (and fields added later) are ignored.
    }
  }
  return fields;
}

/** Whether an event at `revision` is newer than the stored row (revision 0 rows, older than events, take events in feed order). */
const isNewer = (row: ReplicaRow | undefined, revision: number): boolean =>
  !row || row.revision < revision || (revision === 0 && row.revision === 0);

/**
 * Applies one cost-center event to the replica, in the consumer's transaction.
 * Throws for an event it can never apply (malformed, or an update of a cost
 * center it never saw created): the consumer retries, then dead-letters it.
 */
export async function applyCostCenterEvent(tx: ConsumerSql, event: CloudEvent): Promise<void> {
  if (typeof event?.type !== 'string' || !event.type.startsWith('cost-center.')) return;
  const id = event.subject;
  if (!isId(id)) throw new Error(`bad subject ${JSON.stringify(id)}`);
  const revision = revisionOf(event);
  const [row] = await tx.$queryRaw<
    ReplicaRow[]
  >`SELECT revision, deleted FROM cost_center_replica WHERE id = ${id}::uuid FOR UPDATE`;

  switch (event.type) {
    case 'cost-center.created': {
      if (!isNewer(row, revision)) return;
      const fields = fieldsOf(event, 'to');
      if (fields.code === undefined || fields.societyName === undefined)
        throw new Error('a created event must set code and societyName');
      await tx.$executeRaw`
        INSERT INTO cost_center_replica (id, code, society_name, manager_id, revision, deleted, applied_at)
        VALUES (${id}::uuid, ${fields.code}, ${fields.societyName}, ${fields.managerId ?? null}::uuid, ${revision}::int, false, now())
        ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, society_name = EXCLUDED.society_name, manager_id = EXCLUDED.manager_id,
          revision = EXCLUDED.revision, deleted = false, applied_at = now()`;
      return;
    }
    case 'cost-center.updated': {
      if (!row) throw new Error(`cost center ${id} is not in the replica: its created event was never applied`);
      if (!isNewer(row, revision)) return;
      if (row.deleted)
        throw new Error(`cost center ${id} was deleted at revision ${row.revision}, yet updated at ${revision}`);
      const fields = fieldsOf(event, 'to');
      const has = (field: keyof Fields) => fields[field] !== undefined;
      await tx.$executeRaw`
        UPDATE cost_center_replica SET
          code = CASE WHEN ${has('code')}::boolean THEN ${fields.code ?? null}::text ELSE code END,
          society_name = CASE WHEN ${has('societyName')}::boolean THEN ${fields.societyName ?? null}::text ELSE society_name END,
          manager_id = CASE WHEN ${has('managerId')}::boolean THEN ${fields.managerId ?? null}::uuid ELSE manager_id END,
          revision = ${revision}::int, applied_at = now()
        WHERE id = ${id}::uuid`;
      return;
    }
    case 'cost-center.deleted': {
      if (!isNewer(row, revision)) return;
      // A tombstone: kept with its revision. Its last values are kept too (from the event when the row is new).
      const fields = row ? {} : fieldsOf(event, 'from');
      await tx.$executeRaw`
        INSERT INTO cost_center_replica (id, code, society_name, manager_id, revision, deleted, applied_at)
        VALUES (${id}::uuid, ${fields.code ?? ''}, ${fields.societyName ?? ''}, ${fields.managerId ?? null}::uuid, ${revision}::int, true, now())
        ON CONFLICT (id) DO UPDATE SET revision = EXCLUDED.revision, deleted = true, applied_at = now()`;
      return;
    }
    default:
      throw new Error(`unknown event type ${event.type}`);
  }
}

export interface ReplicaDeps {
  prisma: PrismaClient;
  log: Logger;
  config: SubgraphConfig;
  signingSecret: Buffer;
}

/** Checks that an event is the cost-center subgraph's (COST_CENTER_EVENTS_PUBLIC_KEY; derived in development). */
const verifierOf = ({ config, signingSecret }: Pick<ReplicaDeps, 'config' | 'signingSecret'>) =>
  eventVerifierFromEnv(OWNER, config.env, config.production, signingSecret);

/** The queue the replica reads in the broker mode, unless EVENTS_QUEUE names another. */
export const COST_CENTER_REPLICA_QUEUE = 'car-check.car.cost-center-replica';

/**
 * The consumer that keeps the replica up to date (started by the car subgraph's set-up):
 * it polls the cost-center feed, or, when AMQP_URL is set, reads a durable queue bound to
 * `cost-center.*` on the events exchange (the same handler, retries and dead letters).
 */
export function costCenterReplicaConsumer(
  deps: ReplicaDeps & { registry?: ServiceMetrics['registry'] },
): FeedConsumer<ConsumerSql> {
  return ownerEventConsumer({
    ...deps,
    owner: OWNER,
    name: COST_CENTER_REPLICA,
    apply: applyCostCenterEvent,
    // A page in one transaction: its events in turn, so one that refuses sends the page event by event.
    applyBatch: inTurn(applyCostCenterEvent),
    queue: (eventsQueue) => eventsQueue ?? COST_CENTER_REPLICA_QUEUE,
  });
}

/**
 * Empties the replica and its cursor and replays the cost-center feed from the
 * start, in one transaction (see replayFeed): readers keep the old replica
 * until the new one is committed.
 */
export async function rebuildCostCenterReplica(deps: ReplicaDeps): Promise<ReplayReport> {
  return replayFeed<ConsumerSql>({
    ...ownerFeedSource(OWNER, deps),
    name: COST_CENTER_REPLICA,
    transaction: consumerTransaction(deps.prisma),
    apply: applyCostCenterEvent,
    applyBatch: inTurn(applyCostCenterEvent),
    reset: async (tx) => {
      await tx.$executeRaw`DELETE FROM cost_center_replica`;
    },
  });
}

/** Applies the replica's dead letters again, once their cause is fixed (see redriveDeadLetters); only those the cost-center subgraph signed. */
export async function redriveCostCenterReplica(
  deps: Pick<ReplicaDeps, 'prisma' | 'config' | 'signingSecret'>,
): Promise<RedriveReport> {
  return redriveDeadLetters<ConsumerSql>({
    name: COST_CENTER_REPLICA,
    db: deps.prisma,
    transaction: consumerTransaction(deps.prisma),
    apply: applyCostCenterEvent,
    verifier: verifierOf(deps),
  });
}
