/**
 * @car-check/events: the graph's change events: their catalog and CloudEvent shape, their
 * signatures and keys, the outbox relay to AMQP, the signed feed, and the consumers that read it.
 * It opens no database itself: whoever runs a relay or a consumer hands it its storage.
 * This file is the package's public surface, name by name.
 */
export {
  actorOf,
  recordAudit,
  diffChanges,
  type AuditAction,
  type FieldChange,
  type AuditWriter,
  type AuditEntry,
  type DiffOptions,
  recordCreatedByTool,
} from './audit/record';
export {
  eventSigningKeyFromEnv,
  eventVerifyingKeysFromEnv,
  eventSignerFromEnv,
  eventVerifierFromEnv,
  type EventKeySource,
} from './config/eventKeys';
export { type AmqpConsumerOptions, AmqpConsumer } from './events/amqpConsumer';
export {
  eventDefinitionOf,
  eventsOfSubgraph,
  type EventType,
  type EventAction,
  type EventDefinition,
  EVENT_CATALOG,
} from './events/catalog';
export {
  toCloudEvent,
  type AuditEventRecord,
  type EventChange,
  type EventData,
  type CloudEvent,
  eventSource,
  formatSequence,
} from './events/cloudEvent';
export { consumerSettingsFromEnv, type ConsumerSettings } from './events/consumerSettings';
export type { RawSql } from './rawSql';
export {
  sequenceOf,
  revisionOf,
  type ConsumerSql,
  type ConsumerTransaction,
  type EventHandler,
  type BatchHandler,
  inTurn,
} from './events/consumerStore';
export { untraced, fetchFeedPage, feedUrlOf, type FeedSource, FeedUnavailable } from './events/feedClient';
export { type FeedConsumerOptions, type ConsumerStatus, FeedConsumer } from './events/consumer';
export {
  replayFeed,
  redriveDeadLetters,
  type ReplayOptions,
  type ReplayReport,
  type RedriveOptions,
  type RedriveReport,
} from './events/replay';
export {
  mountEventFeed,
  readEventPage,
  EVENTS_PATH,
  EVENT_PAGE_DEFAULT,
  EVENT_PAGE_MAX,
  FEED_WAIT_MAX_MS,
  FEED_RECHECK_MS,
  type EventFeed,
  type EventFeedReader,
  type EventPage,
  type EventFeedOptions,
} from './events/feed';
export {
  amqpSettingsFromEnv,
  closeAmqpConnection,
  type AmqpSettings,
  redactAmqpUrl,
  type RelaySql,
  type EventRelayOptions,
  type RelayStatus,
  EventRelay,
} from './events/relay';
export {
  canonicalJson,
  developmentEventKey,
  type RejectionReason,
  type EventRejection,
  type SignedCloudEvent,
  EventSigner,
  EventVerifier,
  publicKeyOf,
} from './events/signature';
export { outboxWritten, onOutboxWritten } from './events/outboxSignal';
