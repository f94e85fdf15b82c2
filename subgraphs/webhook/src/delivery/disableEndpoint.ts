import { randomUUID } from 'node:crypto';
import { ANONYMOUS } from '@car-check/service-kit';
import { recordAudit, type AuditWriter } from '@car-check/events';

/**
 * Disables an endpoint the delivery gave up on (a 410, or the schedule exhausted), as an
 * audited change by `service:webhook`: its history shows when and why. Its pending
 * deliveries stay queued and go out again once a client re-enables it.
 */
export async function disableEndpoint(tx: AuditWriter, endpointId: string, reason: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ revision: number }[]>`
    UPDATE webhook_endpoint SET enabled = false, disabled_reason = ${reason}, revision = revision + 1, updated_at = now()
    WHERE id = ${endpointId}::uuid AND enabled
    RETURNING revision`;
  const row = rows[0];
  if (!row) return false;
  await recordAudit(tx, {
    entity: 'WebhookEndpoint',
    entityId: endpointId,
    action: 'UPDATE',
    caller: { ...ANONYMOUS, service: 'webhook' },
    requestId: `webhook-dispatcher-${randomUUID()}`,
    revision: row.revision,
    changes: [
      { field: 'enabled', from: 'true', to: 'false' },
      { field: 'disabledReason', from: null, to: JSON.stringify(reason) },
    ],
  });
  return true;
}
