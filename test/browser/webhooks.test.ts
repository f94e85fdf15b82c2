/**
 * The fleet console's Webhooks page in Chromium, against the real graph started in process
 * (PGlite, all four subgraphs) and a real HTTP receiver on 127.0.0.1 (the development default
 * lets endpoints be http:// loopback URLs). The pages are built as `npm start` builds them
 * (scripts/lib/webPages.ts, no build variables; once per run for every browser suite, see
 * test-support/webBuild.ts) and served by the gateway at /console/.
 *
 * An admin registers an endpoint and sees its secret once; a test event reaches the receiver,
 * whose signature verifies with the `standardwebhooks` package and that secret, and the log
 * shows it DELIVERED; a car change is delivered too; the endpoint is disabled, events are
 * replayed by time range and by sequence range, and delivered again (same `webhook-id`) once
 * it is enabled; the secret is rotated; the endpoint is deleted. A viewer (no webhook scope)
 * has no Webhooks entry and is told the page needs webhook:read. Any page error or console
 * error fails the suite, and so does any request off this machine.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { seedCostCenters } from '@car-check/subgraph-kit/demo';
import type { TestGraph } from '@car-check/test-support/graph';
import { dataOf } from '@car-check/test-support/graphql';
import { TEST_SEED_PASSWORD } from '@car-check/test-support/secrets';
import { waitFor } from '@car-check/test-support/waitFor';
import { WebhookReceiver, type ReceivedWebhook } from '@car-check/test-support/webhookReceiver';
import { REPO_ROOT, startBrowser, startGraphWithPages, type BrowserSession } from './harness';

jest.setTimeout(240_000);
const WAIT = 45_000;

const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === 'true'
    ? path.join(REPO_ROOT, 'docs', 'screenshots')
    : mkdtempSync(path.join(os.tmpdir(), 'webhooks-screenshots-'));

/** Whether a request the receiver got verifies with `secret`, as a receiver using standardwebhooks checks it. */
function verifies(secret: string, request: ReceivedWebhook): boolean {
  try {
    new Webhook(secret).verify(request.body, {
      'webhook-id': request.messageId,
      'webhook-timestamp': request.timestamp,
      'webhook-signature': request.signature,
    });
    return true;
  } catch {
    return false;
  }
}

/** A `datetime-local` value in the browser's (this machine's) time zone. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

describe('the console’s Webhooks page in Chromium (pglite)', () => {
  let graph: TestGraph;
  let origin: string;
  let consoleUrl: string;
  let session: BrowserSession;
  const receiver = new WebhookReceiver();
  let receiverUrl: string;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    session = await startBrowser();
    // PGlite, not ONE_BACKEND: the console as a user first meets it, on npm start's embedded databases.
    graph = await startGraphWithPages();
    origin = new URL(graph.gatewayUrl).origin;
    consoleUrl = `${origin}/console/`;
    receiverUrl = await receiver.start();
  }, 900_000);

  afterAll(async () => {
    await session?.close();
    await receiver.stop();
    await graph?.stop();
  });

  async function newPage(): Promise<Page> {
    const page = await session.newPage();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    return page;
  }

  /** Signs in; resolves once the console has asked the graph whether the caller may read webhooks. */
  async function signIn(username: string): Promise<Page> {
    const page = await newPage();
    await page.goto(consoleUrl);
    await page.getByLabel('Username').fill(username, { timeout: WAIT });
    await page.getByLabel('Password').fill(TEST_SEED_PASSWORD);
    const access = page.waitForResponse(
      (response) => response.request().postData()?.includes('"operationName":"WebhookAccess"') ?? false,
      { timeout: WAIT },
    );
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('username').getByText(username, { exact: true }).waitFor({ timeout: WAIT });
    await access;
    return page;
  }

  /** The row of the newest delivery of `eventType` in the log, once it has `status` (the page refreshes pending ones). */
  async function waitForDelivery(page: Page, eventType: string, status: string) {
    const row = page
      .getByTestId('delivery-row')
      .filter({ has: page.getByText(eventType, { exact: true }) })
      .first();
    await waitFor(
      async () => {
        if ((await row.count()) > 0 && (await row.getAttribute('data-status')) === status) return true;
        await page.getByRole('button', { name: 'Refresh' }).click();
        await page.waitForTimeout(500);
        return false;
      },
      WAIT,
      `a ${eventType} delivery ${status} in the log`,
    );
    return row;
  }

  async function waitForReceived(predicate: (request: ReceivedWebhook) => boolean, what: string) {
    await waitFor(() => receiver.received.some(predicate), WAIT, what);
    return receiver.received.filter(predicate);
  }

  it('registers an endpoint, shows its secret once, delivers a signed test event and a car change, disables, replays, re-enables, rotates and deletes', async () => {
    const page = await signIn('admin');
    await page.getByTestId('nav-webhooks').click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor({ timeout: WAIT });
    await page.getByTestId('endpoint-count').getByText('0 endpoints').waitFor({ timeout: WAIT });

    // Register: the secret is shown once, with a copy button and the warning.
    const form = page.getByRole('form', { name: 'Register an endpoint' });
    await form.getByLabel('URL').fill(receiverUrl);
    await form.getByLabel('Description').fill('ERP integration (browser test)');
    await form.getByLabel('Event types').fill('car.*');
    await form.getByRole('button', { name: 'Register' }).click();
    const shown = page.getByTestId('secret-once');
    await shown.waitFor({ timeout: WAIT });
    const secret = (await page.getByTestId('secret').innerText()).trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    expect(await page.getByTestId('secret-warning').innerText()).toContain('you will not see it again');
    await page.getByTestId('copy-secret').click();
    await page.getByTestId('copy-secret').getByText('Copied').waitFor({ timeout: WAIT });
    await expect(page.evaluate('navigator.clipboard.readText()')).resolves.toBe(secret);
    receiver.secrets = [secret];

    const row = page.locator('[data-testid="endpoint-row"]').filter({ hasText: receiverUrl });
    await row.waitFor({ timeout: WAIT });
    expect(await row.innerText()).toContain('car.*');
    expect(await row.getByTestId('endpoint-state').innerText()).toBe('enabled');
    expect(await row.innerText()).toContain('HMAC-SHA256');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'webhooks.png'), fullPage: true });
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await shown.waitFor({ state: 'detached', timeout: WAIT });
    // Gone for good: not on the page, and not after a reload.
    expect(await page.locator('body').innerText()).not.toContain(secret);
    await page.reload();
    await row.waitFor({ timeout: WAIT });
    expect(await page.content()).not.toContain(secret);

    // The endpoint's page: send a test event; the receiver gets it, signed with the secret shown.
    await row.getByTestId('endpoint-url').click();
    await page.getByRole('button', { name: 'Send a test event' }).click();
    await page.getByTestId('outcome').getByText('webhook.test event was queued').waitFor({ timeout: WAIT });
    const delivered = await waitForDelivery(page, 'webhook.test', 'DELIVERED');
    const [test] = await waitForReceived((request) => request.event.type === 'webhook.test', 'the test event');
    expect(verifies(secret, test!)).toBe(true);
    expect(verifies(`whsec_${Buffer.from('not the secret').toString('base64')}`, test!)).toBe(false);
    expect(await delivered.getAttribute('data-message-id')).toBe(test!.messageId);
    expect(await delivered.getByTestId('delivery-response').innerText()).toBe('200');

    // A change to a car: the car.created event is delivered to the endpoint (car.*), signed too.
    const created = dataOf(
      await graph.query<{ createCar: { id: string } }>(
        'mutation($cc: ID!) { createCar(input: { brand: "Fiat", model: "500e", costCenterId: $cc }) { id } }',
        { cc: seedCostCenters[0]!.id },
      ),
    ).createCar;
    const [carEvent] = await waitForReceived(
      (request) => request.event.type === 'car.created' && request.event.subject.includes(created.id),
      'the car.created event',
    );
    expect(verifies(secret, carEvent!)).toBe(true);
    await waitForDelivery(page, 'car.created', 'DELIVERED');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'webhook-deliveries.png'), fullPage: true });

    // Filter the log by status.
    await page.getByLabel('Status').selectOption('FAILED');
    await page.getByTestId('delivery-count').getByText('0 deliveries').waitFor({ timeout: WAIT });
    await page.getByLabel('Status').selectOption('DELIVERED');
    await page.getByTestId('delivery-count').getByText('2 deliveries').waitFor({ timeout: WAIT });
    await page.getByLabel('Status').selectOption('');

    // Disable it: the reason is shown.
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByTestId('endpoint-state').getByText('disabled: disabled by a client').waitFor({ timeout: WAIT });

    // Replay by time range (the last day to the next one): how many deliveries were queued.
    const replay = page.getByRole('form', { name: 'Replay events' });
    const now = Date.now();
    await replay.getByLabel('From').fill(localInput(new Date(now - 86_400_000)));
    await replay.getByLabel('To (excluded)').fill(localInput(new Date(now + 86_400_000)));
    await replay.getByRole('button', { name: 'Replay' }).click();
    const byTime = (await page.getByTestId('replay-outcome').innerText({ timeout: WAIT })).trim();
    const queuedByTime = Number(/^Replay queued (\d+) deliver/.exec(byTime)?.[1]);
    expect(queuedByTime).toBeGreaterThanOrEqual(1);
    // Disabled: queued, not sent.
    await waitForDelivery(page, 'car.created', 'PENDING');

    // Replay by the car owner's sequence range: exactly that event.
    await replay.getByLabel('Replay by').selectOption('sequence');
    await replay.getByLabel('Owner').selectOption('car');
    await replay.getByLabel('From sequence').fill(carEvent!.event.sequence);
    await replay.getByLabel('To sequence (included)').fill(carEvent!.event.sequence);
    await replay.getByRole('button', { name: 'Replay' }).click();
    await page.getByTestId('replay-outcome').getByText('Replay queued 1 delivery.').waitFor({ timeout: WAIT });

    // Enabled again: the replayed event arrives a second time with the same webhook-id.
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByTestId('endpoint-state').getByText('enabled', { exact: true }).waitFor({ timeout: WAIT });
    const again = await waitFor(
      () => receiver.received.filter((request) => request.messageId === carEvent!.messageId).length >= 2,
      WAIT,
      'the replayed car.created event',
    ).then(() => receiver.received.filter((request) => request.messageId === carEvent!.messageId));
    expect(again.every((request) => verifies(secret, request))).toBe(true);
    await waitForDelivery(page, 'car.created', 'DELIVERED');

    // Rotate: the new secret is shown once; the next test event verifies with it (and with the old one, in its grace period).
    await page.getByRole('button', { name: 'Rotate the secret' }).click();
    await page.getByTestId('secret-once').getByText('Secret rotated').waitFor({ timeout: WAIT });
    const rotated = (await page.getByTestId('secret').innerText()).trim();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    const before = receiver.received.length;
    await page.getByRole('button', { name: 'Send a test event' }).click();
    const [second] = await waitForReceived(
      (request) => request.event.type === 'webhook.test' && receiver.received.indexOf(request) >= before,
      'the second test event',
    );
    expect(verifies(rotated, second!)).toBe(true);
    expect(verifies(secret, second!)).toBe(true);

    // Delete, after a confirmation: back on the list, which no longer has it.
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByTestId('endpoint-count').getByText('0 endpoints').waitFor({ timeout: WAIT });
    expect(receiver.received.every((request) => verifies(secret, request) || verifies(rotated, request))).toBe(true);
  });

  it('refuses a URL the graph would not deliver to, in the form, with the gateway’s error', async () => {
    const page = await signIn('admin');
    await page.goto(`${consoleUrl}#/webhooks`);
    const form = page.getByRole('form', { name: 'Register an endpoint' });
    await form.getByLabel('URL').fill('ftp://127.0.0.1/hook');
    await form.getByRole('button', { name: 'Register' }).click();
    const summary = page.getByTestId('issue-summary').filter({ hasText: 'The endpoint was not registered' });
    await summary.getByText('INVALID_ARGUMENT').waitFor({ timeout: WAIT });
    await expect(page.getByTestId('secret-once').count()).resolves.toBe(0);
  });

  it('shows a viewer (no webhook scope) no Webhooks entry, and says the page needs webhook:read', async () => {
    const page = await signIn('viewer');
    await page.getByRole('link', { name: 'Cost centers' }).waitFor({ timeout: WAIT });
    await expect(page.getByTestId('nav-webhooks').count()).resolves.toBe(0);
    await page.goto(`${consoleUrl}#/webhooks`);
    await page.getByTestId('needs-scope').getByText('This page needs webhook:read.').waitFor({ timeout: WAIT });
    await expect(page.getByTestId('nav-webhooks').count()).resolves.toBe(0);
    await expect(page.getByRole('form', { name: 'Register an endpoint' }).count()).resolves.toBe(0);
  });

  it('says the webhook service is temporarily unavailable, with the request id, when it is down (and keeps the entry)', async () => {
    await graph.stopSubgraph('webhook');
    const page = await signIn('admin');
    await page.getByTestId('nav-webhooks').click();
    const summary = page.getByTestId('issue-summary');
    await summary.getByText('UNAVAILABLE').first().waitFor({ timeout: WAIT });
    expect(await summary.getByTestId('request-id').first().innerText()).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    await page.getByText('temporarily unavailable').first().waitFor({ timeout: WAIT });
    // The rest of the page is there: the form, the navigation.
    await page.getByRole('form', { name: 'Register an endpoint' }).waitFor({ timeout: WAIT });
    await expect(page.getByTestId('nav-webhooks').count()).resolves.toBe(1);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'webhooks-unavailable.png'), fullPage: true });
  });

  it('needed nothing beyond this machine and raised no page error nor console error', () => {
    expect(session.blocked).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  });
});
