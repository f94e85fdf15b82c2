import { BACKENDS } from '@car-check/test-support/config';
import { dataOf, errorCodesByPath } from '@car-check/test-support/graphql';
import { ADMIN } from '@car-check/test-support/subgraphHarness';
import { ANONYMOUS } from '@car-check/service-kit';
import { startWebhookUnderTest, type WebhookUnderTest } from './webhookHarness';

const FIELDS =
  'id url description eventTypes costCenterIds societyNames enabled disabledReason signing revision createdBy { id }';

interface Endpoint {
  id: string;
  url: string;
  eventTypes: string[];
  enabled: boolean;
  disabledReason: string | null;
  revision: number;
  createdBy: { id: string } | null;
}

describe.each(BACKENDS)('webhook endpoints API (%s)', (backend) => {
  let service: WebhookUnderTest;

  beforeAll(async () => {
    service = await startWebhookUnderTest(backend);
  }, 120_000);
  afterAll(async () => {
    await service?.stop();
  });

  const update = (id: string, input: Record<string, unknown>) =>
    service.query<{ updateWebhookEndpoint: Endpoint }>(
      `mutation($id: ID!, $input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $input) { ${FIELDS} } }`,
      { id, input },
    );

  it('creates, lists, filters, updates, disables, re-enables and deletes an endpoint', async () => {
    const { id } = await service.createEndpoint({
      url: 'http://127.0.0.1:1/a',
      eventTypes: ['car.*'],
      description: 'first',
      costCenterIds: ['00000000-0000-4000-8000-000000000001'],
    });
    await service.createEndpoint({ url: 'http://127.0.0.1:1/b', eventTypes: ['*'] });
    const read = dataOf(
      await service.query<{ webhookEndpoint: Endpoint }>(`query($id: ID!) { webhookEndpoint(id: $id) { ${FIELDS} } }`, {
        id,
      }),
    ).webhookEndpoint;
    expect(read).toMatchObject({
      url: 'http://127.0.0.1:1/a',
      enabled: true,
      revision: 1,
      createdBy: { id: ADMIN.userId },
    });

    const list = dataOf(
      await service.query<{ webhookEndpoints: { totalCount: number; edges: { node: { url: string } }[] } }>(
        `{ webhookEndpoints(first: 1, filter: { url: "/a" }) { totalCount edges { node { url } } } }`,
      ),
    ).webhookEndpoints;
    expect(list.totalCount).toBe(1);

    const disabled = dataOf(await update(id, { enabled: false, expectedRevision: 1 })).updateWebhookEndpoint;
    expect(disabled).toMatchObject({ enabled: false, disabledReason: 'disabled by a client', revision: 2 });
    expect(errorCodesByPath(await update(id, { description: 'x', expectedRevision: 1 }))).toEqual([
      [['updateWebhookEndpoint'], 'ABORTED'],
    ]);
    const enabled = dataOf(await update(id, { enabled: true, eventTypes: ['car.updated'] })).updateWebhookEndpoint;
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null, eventTypes: ['car.updated'], revision: 3 });

    const deleted = await service.query(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, { id });
    expect(dataOf(deleted)).toEqual({ deleteWebhookEndpoint: id });
    expect(
      errorCodesByPath(await service.query(`query($id: ID!) { webhookEndpoint(id: $id) { id } }`, { id })),
    ).toEqual([[['webhookEndpoint'], 'NOT_FOUND']]);
  }, 60_000);

  it('refuses bad input per field, and a caller without the webhook scopes', async () => {
    const bad = await service.query(
      `mutation { createWebhookEndpoint(input: { url: "ftp://x", eventTypes: ["car.*"] }) { secret } }`,
    );
    expect(errorCodesByPath(bad)).toEqual([[['createWebhookEndpoint'], 'INVALID_ARGUMENT']]);
    const types = await service.query(
      `mutation { createWebhookEndpoint(input: { url: "http://127.0.0.1:1/", eventTypes: ["car created"] }) { secret } }`,
    );
    expect(errorCodesByPath(types)).toEqual([[['createWebhookEndpoint'], 'INVALID_ARGUMENT']]);
    const reader = { ...ANONYMOUS, userId: ADMIN.userId, scopes: ['webhook:read'] };
    const denied = await service.query(
      `mutation { createWebhookEndpoint(input: { url: "http://127.0.0.1:1/", eventTypes: ["*"] }) { secret } }`,
      {},
      reader,
    );
    expect(errorCodesByPath(denied)).toEqual([[['createWebhookEndpoint'], 'PERMISSION_DENIED']]);
    expect(errorCodesByPath(await service.query(`{ webhookEndpoints { totalCount } }`, {}, reader))).toEqual([]);
  }, 60_000);
});
