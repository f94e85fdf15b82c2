import type { AuditAction } from '../audit/record';

/** What a change to an entity is, as an event: `<subgraph>.<created|updated|deleted>`. */
export type EventType =
  | 'car.created'
  | 'car.updated'
  | 'car.deleted'
  | 'cost-center.created'
  | 'cost-center.updated'
  | 'cost-center.deleted'
  | 'user.created'
  | 'user.updated'
  | 'user.deleted'
  | 'webhook.created'
  | 'webhook.updated'
  | 'webhook.deleted';

/** The audit actions that are events; account activity (LOGIN, LOGOUT, REVOKE_TOKENS) never is. */
export type EventAction = Extract<AuditAction, 'CREATE' | 'UPDATE' | 'DELETE'>;

export interface EventDefinition {
  type: EventType;
  /** The subgraph that owns the entity, writes the event and serves it in its feed (its name in supergraph.yaml). */
  subgraph: 'car' | 'cost-center' | 'user' | 'webhook';
  /** The entity, as the audit record names it. */
  entity: 'Car' | 'CostCenter' | 'User' | 'WebhookEndpoint';
  action: EventAction;
  /** What the CloudEvent's `subject` is. */
  subject: string;
  /** When it is emitted and what `data.changes` holds (rendered into docs/events.md). */
  description: string;
}

/**
 * Every domain event the graph emits, the one definition the feed, the
 * CloudEvents and docs/events.md (`npm run docs:events`) are built from.
 * An event is the CREATE, UPDATE or DELETE audit record of the mutation that
 * made the change (the audit record is the outbox): it exists if and only if
 * the change was committed.
 */
export const EVENT_CATALOG: readonly EventDefinition[] = [
  {
    type: 'car.created',
    subgraph: 'car',
    entity: 'Car',
    action: 'CREATE',
    subject: 'The new car’s id.',
    description:
      '`createCar` committed (or the demo seed created it, as `service:seed`). `changes` has every field the car was created with (`from` is null).',
  },
  {
    type: 'car.updated',
    subgraph: 'car',
    entity: 'Car',
    action: 'UPDATE',
    subject: 'The car’s id.',
    description:
      '`updateCar` changed at least one field (an update to the values it already had is no event). `changes` has only the fields that changed, with old and new values.',
  },
  {
    type: 'car.deleted',
    subgraph: 'car',
    entity: 'Car',
    action: 'DELETE',
    subject: 'The deleted car’s id.',
    description:
      '`deleteCar` committed. `changes` has every field the car held (`to` is null); `revision` is one past its last.',
  },
  {
    type: 'cost-center.created',
    subgraph: 'cost-center',
    entity: 'CostCenter',
    action: 'CREATE',
    subject: 'The new cost center’s id.',
    description:
      '`createCostCenter` committed (or the demo seed created it, as `service:seed`). `changes` has every field the cost center was created with (`from` is null).',
  },
  {
    type: 'cost-center.updated',
    subgraph: 'cost-center',
    entity: 'CostCenter',
    action: 'UPDATE',
    subject: 'The cost center’s id.',
    description:
      '`updateCostCenter` changed at least one field (e.g. its manager). `changes` has only the fields that changed, with old and new values.',
  },
  {
    type: 'cost-center.deleted',
    subgraph: 'cost-center',
    entity: 'CostCenter',
    action: 'DELETE',
    subject: 'The deleted cost center’s id.',
    description:
      '`deleteCostCenter` committed (it had no cars). `changes` has every field it held (`to` is null); `revision` is one past its last.',
  },
  {
    type: 'user.created',
    subgraph: 'user',
    entity: 'User',
    action: 'CREATE',
    subject: 'The new user’s id.',
    description:
      '`createUser` (or `npm run db:bootstrap-admin`) committed. `changes` has the user’s fields (username, email, groups, ...); the password, and its hash, never appear.',
  },
  {
    type: 'user.updated',
    subgraph: 'user',
    entity: 'User',
    action: 'UPDATE',
    subject: 'The user’s id.',
    description:
      '`updateUser` or `deactivateUser` changed the user: deactivation is `isActive` from `true` to `false`, group changes are `groups`, a new password is `password: "[redacted]"` (never the hash). Sign-ins, sign-outs and token revocations are not events.',
  },
  {
    type: 'user.deleted',
    subgraph: 'user',
    entity: 'User',
    action: 'DELETE',
    subject: 'The deleted user’s id.',
    description:
      '`deleteUser` committed. `changes` has every field the user held but the password hash (`to` is null); `revision` is one past its last.',
  },
  {
    type: 'webhook.created',
    subgraph: 'webhook',
    entity: 'WebhookEndpoint',
    action: 'CREATE',
    subject: 'The new webhook endpoint’s id.',
    description:
      '`createWebhookEndpoint` committed. `changes` has the endpoint’s URL, event types, filters and signing; its secret never appears.',
  },
  {
    type: 'webhook.updated',
    subgraph: 'webhook',
    entity: 'WebhookEndpoint',
    action: 'UPDATE',
    subject: 'The webhook endpoint’s id.',
    description:
      '`updateWebhookEndpoint` or `rotateWebhookSecret` changed the endpoint, or the webhook service disabled it: after a 410, or once every attempt of the retry schedule failed (`enabled` from `true` to `false`, `disabledReason` says why). Secrets never appear.',
  },
  {
    type: 'webhook.deleted',
    subgraph: 'webhook',
    entity: 'WebhookEndpoint',
    action: 'DELETE',
    subject: 'The deleted webhook endpoint’s id.',
    description:
      '`deleteWebhookEndpoint` committed. `changes` has the fields the endpoint held (`to` is null); `revision` is one past its last.',
  },
];

/** The event an audit record is, if any: account activity and unknown entities are none. */
export function eventDefinitionOf(entity: string, action: string): EventDefinition | undefined {
  return EVENT_CATALOG.find((event) => event.entity === entity && event.action === action);
}

/** The events a subgraph emits, in catalog order. */
export function eventsOfSubgraph(subgraph: string): EventDefinition[] {
  return EVENT_CATALOG.filter((event) => event.subgraph === subgraph);
}
