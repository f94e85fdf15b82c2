import { graphError } from '@car-check/service-kit';
import { type Peers, resolveEntity } from '@car-check/subgraph-kit';

function peer(peers: Peers, name: string) {
  const client = peers[name];
  if (!client) throw new Error(`The cost-center subgraph needs the ${name} subgraph as a peer.`);
  return client;
}

/**
 * What the cost-center subgraph needs to know from the car and user
 * subgraphs, asked synchronously at write time (see docs/errors.md, "Rules that cross
 * services").
 */
export function crossServiceChecks(peers: Peers) {
  const cars = peer(peers, 'car');
  const users = peer(peers, 'user');
  return {
    /** Refuses to delete a cost center that cars are still billed to. */
    async assertHasNoCars(costCenterId: string, requestId: string): Promise<void> {
      const center = await resolveEntity<{ cars: { totalCount: number } }>(
        cars,
        { __typename: 'CostCenter', id: costCenterId },
        'cars(first: 0) { totalCount }',
        requestId,
        ['car:read'],
      );
      const count = center?.cars.totalCount ?? 0;
      if (count > 0) {
        throw graphError(
          'FAILED_PRECONDITION',
          `Cost center ${costCenterId} still has ${count} car(s); move or delete them first.`,
          {
            costCenterId,
            cars: count,
          },
        );
      }
    },

    /** Refuses a manager who does not exist. */
    async assertUserExists(userId: string, requestId: string): Promise<void> {
      const user = await resolveEntity(users, { __typename: 'User', id: userId }, 'id', requestId, ['user:read']);
      if (!user) {
        throw graphError('FAILED_PRECONDITION', `User ${userId} does not exist.`, { field: 'input.managerId', userId });
      }
    },
  };
}

export type CrossServiceChecks = ReturnType<typeof crossServiceChecks>;
