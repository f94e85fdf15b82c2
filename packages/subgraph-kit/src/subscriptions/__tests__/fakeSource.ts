import type { EntityChange } from '../change';
import { encodeStreamCursor } from '../cursor';
import type { ChangeSource, PositionCheck } from '../outbox';

/** An outbox in memory: changes are appended in commit order; reads can be held back to force races. */
export class FakeSource implements ChangeSource {
  readonly rows: EntityChange[] = [];
  reads = 0;
  /** While set, every page read waits for it (a slow database). */
  gate: Promise<void> | null = null;

  append(count: number, entity = 'Car'): EntityChange[] {
    const added = Array.from({ length: count }, (_, i) => {
      const sequence = BigInt(this.rows.length + 1 + i);
      return {
        kind: 'UPDATED' as const,
        revision: Number(sequence),
        changedFields: ['model'],
        cursor: encodeStreamCursor('car', sequence),
        entityId: `car-${sequence}`,
        entity,
        sequence,
        changes: [{ field: 'model', from: 'a', to: 'b' }],
      };
    });
    this.rows.push(...added);
    return added;
  }

  async page(after: bigint, limit: number) {
    this.reads += 1;
    await this.gate;
    const changes = this.rows.filter((row) => row.sequence > after).slice(0, limit);
    return { changes, next: changes.at(-1)?.sequence ?? after };
  }

  async newest() {
    return BigInt(this.rows.length);
  }

  async check(): Promise<PositionCheck> {
    return 'ok';
  }
}
