import type { SubscriptionMessage } from './subscription';

const serialized = new WeakMap<SubscriptionMessage['payload'], string>();

/**
 * A message payload as JSON, serialized once however many streams write it: the members of a
 * feed are handed one payload object per event when it holds nothing of their own (no errors,
 * which carry each member's request id), so 1,000 subscribers cost one JSON.stringify an event.
 */
export function payloadJson(payload: SubscriptionMessage['payload']): string {
  let json = serialized.get(payload);
  if (json === undefined) {
    json = JSON.stringify(payload);
    serialized.set(payload, json);
  }
  return json;
}
