/** The CloudEvent attributes a webhook body carries, in the order of the CloudEvents JSON format's examples. */
const ATTRIBUTES = ['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'sequence', 'data'];

/**
 * The body of a delivery: the CloudEvent as JSON, its attributes in a fixed order (the
 * event log's jsonb keeps no order). The owner's own event signature (`signer`,
 * `signature`), which only the graph's consumers check, is not part of it: receivers
 * verify the webhook signature.
 */
export function cloudEventBody(event: Record<string, unknown>): string {
  const ordered: Record<string, unknown> = {};
  for (const attribute of ATTRIBUTES) if (event[attribute] !== undefined) ordered[attribute] = event[attribute];
  return JSON.stringify(ordered);
}
