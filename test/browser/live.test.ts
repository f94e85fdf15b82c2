/**
 * Live updates in the fleet console and the offline explorer (docs/subscriptions.md, "In the console
 * and the explorer"), in Debian's Chromium driven by playwright-core, against the real graph started in
 * process (PGlite), with the pages built as `npm start` builds them (test-support/webBuild.ts).
 *
 * Two browsers: page A follows the graph through a gateway the test restarts (stopped as SIGTERM
 * stops it, then a new one built on the same port); page B edits through the graph's other gateway,
 * as another user elsewhere would. Neither page is ever reloaded.
 */
import type { Page } from 'playwright-core';
import { seedCars } from '@car-check/subgraph-kit/demo';
import type { RestartableGateway, TestGraph } from '@car-check/test-support/graph';
import { dataOf } from '@car-check/test-support/graphql';
import { TEST_SEED_PASSWORD } from '@car-check/test-support/secrets';
import { waitFor } from '@car-check/test-support/waitFor';
import { startBrowser, startGraphWithPages, type BrowserSession } from './harness';

// A loaded 2-core machine: builds, a graph, two gateways and a browser. Generous everywhere.
jest.setTimeout(300_000);
const WAIT = 60_000;

/** Set on the page once loaded: still there at the end means the page was never reloaded. */
const NOT_RELOADED = '__notReloaded';

interface SentOperation {
  operationName?: string;
  variables?: { after?: string | null };
}

describe('live updates in the console and the explorer, in Chromium (pglite)', () => {
  let graph: TestGraph;
  let session: BrowserSession;
  /** Page A's gateway, restarted by the tests. */
  let restartable: RestartableGateway;
  /** Where page B (and the explorer) are served: the graph's own gateway. */
  let otherOrigin: string;
  /** While page A's gateway is down the browser logs each refused request as an error: expected then. */
  let gatewayDown = false;

  beforeAll(async () => {
    session = await startBrowser((message) => gatewayDown && /^Failed to load resource/.test(message.text()));
    graph = await startGraphWithPages();
    otherOrigin = new URL(graph.gatewayUrl).origin;
    // The same configuration as the graph's gateway, its pages included (WEB_DIST).
    restartable = await graph.startRestartableGateway();
  }, 900_000);

  afterAll(async () => {
    await session?.close();
    await graph?.stop();
  });

  async function signIn(origin: string, username: string, at = ''): Promise<Page> {
    const page = await session.newPage();
    await page.goto(`${origin}/console/${at}`);
    await page.getByLabel('Username').fill(username, { timeout: WAIT });
    await page.getByLabel('Password').fill(TEST_SEED_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('username').getByText(username, { exact: true }).waitFor({ timeout: WAIT });
    await page.evaluate((marker) => Object.assign(globalThis, { [marker]: true }), NOT_RELOADED);
    return page;
  }

  async function liveState(page: Page, state: string): Promise<void> {
    await page.locator(`[data-testid="live-status"][data-state="${state}"]`).waitFor({ timeout: WAIT });
  }

  async function expectNotReloaded(page: Page): Promise<void> {
    await expect(page.evaluate((marker) => marker in globalThis, NOT_RELOADED)).resolves.toBe(true);
  }

  /** Page B's edit of one field on the car's page, through the console as a user makes it. */
  async function editOnPage(page: Page, carId: string, label: 'Model' | 'Version', value: string): Promise<void> {
    await page.evaluate(
      (hash) => ((globalThis as unknown as { location: { hash: string } }).location.hash = hash),
      `#/cars/${carId}`,
    );
    await page.getByRole('button', { name: 'Edit' }).click({ timeout: WAIT });
    await page.getByLabel(label).fill(value);
    await page.getByRole('button', { name: 'Save' }).click();
    await page
      .getByTestId('outcome')
      .getByText(/^Saved \(revision \d+\)\.$/)
      .waitFor({ timeout: WAIT });
  }

  /** Where the page keeps every text its email cells have shown since recordEmailTexts. */
  const EMAIL_TEXTS = '__emailTexts';

  /**
   * Records, from now on, every text the page's "Manager email" cells show, however briefly (a
   * MutationObserver sees each render): reading the cells once would miss a flash of the wrong text.
   */
  async function recordEmailTexts(page: Page): Promise<void> {
    await page.evaluate((key) => {
      interface Node {
        textContent: string | null;
      }
      const dom = globalThis as unknown as {
        document: { body: unknown; querySelectorAll(selector: string): Iterable<Node> };
        MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void };
      };
      const seen: string[] = [];
      const record = () => {
        for (const cell of dom.document.querySelectorAll('[data-testid="manager-email"]'))
          if (!seen.includes(cell.textContent ?? '')) seen.push(cell.textContent ?? '');
      };
      Object.assign(globalThis, { [key]: seen });
      record();
      new dom.MutationObserver(record).observe(dom.document.body, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    }, EMAIL_TEXTS);
  }

  async function recordedEmailTexts(page: Page): Promise<string[]> {
    return page.evaluate((key) => (globalThis as unknown as Record<string, string[]>)[key] ?? [], EMAIL_TEXTS);
  }

  function rowOf(page: Page, carId: string) {
    return page.locator(`[data-testid="car-row"][data-car-id="${carId}"]`);
  }

  it("shows page B's edits on page A's car list and car page without a reload", async () => {
    const car = seedCars[3]!;
    const pageA = await signIn(new URL(restartable.url).origin, 'admin');
    await rowOf(pageA, car.id).waitFor({ timeout: WAIT });
    await liveState(pageA, 'live');
    // A viewer's list too: the fields it may not read stay marked as hidden when a change arrives.
    const viewer = await signIn(new URL(restartable.url).origin, 'viewer');
    await rowOf(viewer, car.id).waitFor({ timeout: WAIT });
    await liveState(viewer, 'live');
    const pageB = await signIn(otherOrigin, 'manager');

    await recordEmailTexts(viewer);

    await editOnPage(pageB, car.id, 'Version', 'Edited live');
    await rowOf(pageA, car.id).locator('td:nth-child(3)').getByText('Edited live').waitFor({ timeout: WAIT });
    await rowOf(viewer, car.id).locator('td:nth-child(3)').getByText('Edited live').waitFor({ timeout: WAIT });
    // The list is read again with the email @defer'red: it may show "loading…" until that part
    // arrives, then the refusal again; never "—", which would say the manager has no email.
    const hidden = 'hidden: you lack permission';
    await waitFor(
      async () => (await viewer.getByTestId('manager-email').allInnerTexts()).every((text) => text === hidden),
      WAIT,
      "the viewer's email cells to say hidden again",
      250,
    );
    expect(await viewer.getByTestId('manager-email').allInnerTexts()).toEqual(Array(20).fill(hidden));
    expect(await recordedEmailTexts(viewer)).not.toContain('—');
    expect(await recordedEmailTexts(viewer)).toContain(hidden);
    await expectNotReloaded(viewer);

    // Page A opens the car (in the app: no reload); B edits again; A's car page shows it, history included.
    await rowOf(pageA, car.id).getByRole('link', { name: car.brand }).click();
    await pageA.getByTestId('car-version').getByText('Edited live').waitFor({ timeout: WAIT });
    await liveState(pageA, 'live');
    await editOnPage(pageB, car.id, 'Model', 'Model edited live');
    await pageA.getByTestId('car-model').getByText('Model edited live').waitFor({ timeout: WAIT });
    await pageA.getByTestId('car-revision').getByText('3', { exact: true }).waitFor({ timeout: WAIT });
    // The history, which the event does not carry: the page read the car again.
    const changes = dataOf(
      await graph.query<{ car: { history: { totalCount: number } } }>(
        'query($id: ID!) { car(id: $id) { history { totalCount } } }',
        { id: car.id },
      ),
    ).car.history.totalCount;
    await pageA
      .getByText(`${changes} changes (newest first)`)
      .waitFor({ timeout: WAIT })
      .catch(async (error: unknown) => {
        throw new Error(`${String(error)}\nPage A shows:\n${await pageA.locator('main').innerText()}`);
      });
    await expectNotReloaded(pageA);
  });

  it('says "reconnecting…" while its gateway is down, and after a restart shows the edit made meanwhile, resuming from its last cursor', async () => {
    const car = seedCars[5]!;
    const pageA = await signIn(new URL(restartable.url).origin, 'admin');
    const sent: SentOperation[] = [];
    pageA.on('request', (request) => {
      if (request.method() === 'POST' && request.url() === restartable.url)
        sent.push(JSON.parse(request.postData() ?? '{}') as SentOperation);
    });
    await rowOf(pageA, car.id).waitFor({ timeout: WAIT });
    await liveState(pageA, 'live');
    const pageB = await signIn(otherOrigin, 'manager');

    // A first change, so that page A holds a cursor.
    await editOnPage(pageB, car.id, 'Version', 'Before the restart');
    await rowOf(pageA, car.id).locator('td:nth-child(3)').getByText('Before the restart').waitFor({ timeout: WAIT });

    gatewayDown = true;
    await restartable.stop();
    await liveState(pageA, 'reconnecting');
    await pageA.getByTestId('live-status').getByText('reconnecting…', { exact: false }).waitFor({ timeout: WAIT });

    // Made while page A's gateway is away: page A gets it from the replay after its cursor (nothing else
    // has the page read again: a stream that resumes from a cursor does not).
    await editOnPage(pageB, car.id, 'Version', 'While A was away');
    const stored = dataOf(
      await graph.query<{ car: { version: string } }>('query($id: ID!) { car(id: $id) { version } }', { id: car.id }),
    );
    expect(stored.car.version).toBe('While A was away');

    await restartable.start();
    await rowOf(pageA, car.id).locator('td:nth-child(3)').getByText('While A was away').waitFor({ timeout: WAIT });
    await liveState(pageA, 'live');
    gatewayDown = false;

    const resumed = sent.filter((body) => body.operationName === 'CarChanges').at(-1);
    expect(resumed?.variables?.after).toEqual(expect.any(String));
    await expectNotReloaded(pageA);
  });

  it('runs a subscription in the explorer and shows a change as it is committed', async () => {
    const car = seedCars[7]!;
    const token = await graph.login('admin');
    const page = await session.newPage();
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${otherOrigin}/explorer/`);
    await page.locator('.graphiql-container').waitFor({ timeout: WAIT });
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: otherOrigin });
    await page.evaluate(
      (text) =>
        (
          globalThis as unknown as { navigator: { clipboard: { writeText(t: string): Promise<void> } } }
        ).navigator.clipboard.writeText(text),
      `{"Authorization": "Bearer ${token}"}`,
    );
    const headers = page.locator('.graphiql-editor-tool .graphiql-editor').last();
    await headers.locator('.monaco-editor .view-lines').waitFor({ timeout: WAIT });
    await waitFor(
      async () => {
        await headers.locator('.monaco-editor .view-lines').click();
        if ((await headers.locator('.monaco-editor.focused').count()) === 0) return false;
        await page.keyboard.press('ControlOrMeta+A');
        await page.keyboard.press('ControlOrMeta+V');
        await page.keyboard.press('Home');
        return (await headers.getByText('Bearer', { exact: false }).count()) > 0;
      },
      WAIT,
      'the bearer token in the headers editor',
    );

    await page.locator('.graphiql-execute-button').click();
    await page.getByRole('menuitem', { name: 'WatchCars' }).click();
    const response = page.locator('.graphiql-response');
    // The socket may still be opening: edit until a change shows (each edit is a new change).
    await waitFor(
      async () => {
        const model = `Explorer ${Date.now()}`;
        dataOf(
          await graph.query(
            'mutation($id: ID!, $model: String!) { updateCar(id: $id, input: { model: $model }) { revision } }',
            { id: car.id, model },
          ),
        );
        return response
          .getByText(`"model": "${model}"`)
          .waitFor({ timeout: 10_000 })
          .then(
            () => true,
            () => false,
          );
      },
      WAIT,
      'a change in the explorer',
    );
    await response.getByText('"kind": "UPDATED"').waitFor({ timeout: WAIT });
    await response.getByText('"cursor"').first().waitFor({ timeout: WAIT });
    await expect(response.getByText('"errors"').count()).resolves.toBe(0);
  });

  it('needed nothing beyond this machine and raised no page error nor console error', () => {
    expect(session.blocked).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  });
});
