import { graphError } from '@car-check/service-kit';
import { type Peers, resolveEntity } from '@car-check/subgraph-kit';

/**
 * What the car subgraph needs to know from the cost-center subgraph, asked
 * synchronously at write time (see docs/errors.md, "Rules that cross services").
 */
export function costCenterDirectory(peers: Peers) {
  const costCenters = peers['cost-center'];
  if (!costCenters) throw new Error('The car subgraph needs the cost-center subgraph as a peer.');
  return {
    /** Refuses a car pointing at a cost center that does not exist. */
    async assertExists(costCenterId: string, requestId: string): Promise<void> {
      const found = await resolveEntity(costCenters, { __typename: 'CostCenter', id: costCenterId }, 'id', requestId, [
        'cost-center:read',
      ]);
      if (!found) {
        throw graphError('FAILED_PRECONDITION', `Cost center ${costCenterId} does not exist.`, {
          field: 'input.costCenterId',
          costCenterId,
        });
      }
    },
  };
}

export type CostCenterDirectory = ReturnType<typeof costCenterDirectory>;
