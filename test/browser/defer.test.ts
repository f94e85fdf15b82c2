/**
 * The console defers what is slow (docs/defer.md, "The console"), in Debian's Chromium against
 * the real graph, with the cost-center subgraph behind a proxy the test slows down by several
 * seconds. The car list shows its rows as soon as the car subgraph has answered, with
 * "loading…" where each car's cost center and manager go; the deferred part replaces the
 * placeholders once the slowed subgraph answers. A car's page gets its audit trail the same way.
 */
import type { Page } from 'playwright-core';
import { seedCars, seedCostCenters, seedUsers } from '@car-check/subgraph-kit/demo';
import { DelayProxy } from '@car-check/test-support/delayProxy';
import type { TestGraph } from '@car-check/test-support/graph';
import { TEST_SEED_PASSWORD } from '@car-check/test-support/secrets';
import { startBrowser, startGraphWithPages, type BrowserSession } from './harness';

// A loaded 2-core machine: builds, a graph and a browser. Generous everywhere.
jest.setTimeout(240_000);
const WAIT = 45_000;
/**
 * How long the cost-center subgraph takes to answer while slowed: long enough that the car
 * subgraph's answer (the first part) is certain to be rendered well before it, even on a loaded
 * machine. The gateway's deadlines are raised above it, so the slow answer is late, not failed.
 */
const SLOW_MS = 8_000;
const DEADLINE_MS = String(10 * SLOW_MS);
const PAGE = 20;

function costCenterOf(car: (typeof seedCars)[number]) {
  return seedCostCenters.find((candidate) => candidate.id === car.costCenterId)!;
}

function managerOf(car: (typeof seedCars)[number]) {
  return seedUsers.find((user) => user.id === costCenterOf(car).managerId)!;
}

describe('the console defers what is slow (Chromium, pglite)', () => {
  let graph: TestGraph;
  let consoleUrl: string;
  let session: BrowserSession;
  let costCenterProxy: DelayProxy;

  beforeAll(async () => {
    session = await startBrowser();
    graph = await startGraphWithPages({
      gatewayEnv: { REQUEST_TIMEOUT_MS: DEADLINE_MS, SUBGRAPH_TIMEOUT_MS: DEADLINE_MS },
      routeThrough: {
        'cost-center': async (url) => {
          costCenterProxy = new DelayProxy(url);
          return costCenterProxy.start();
        },
      },
    });
    consoleUrl = `${new URL(graph.gatewayUrl).origin}/console/`;
  }, 900_000);

  afterEach(() => {
    costCenterProxy.delayMs = 0;
  });

  afterAll(async () => {
    await session?.close();
    await graph?.stop();
    await costCenterProxy?.stop();
  });

  async function signIn(username: string): Promise<Page> {
    const page = await session.newPage();
    await page.goto(consoleUrl);
    await page.getByLabel('Username').fill(username, { timeout: WAIT });
    await page.getByLabel('Password').fill(TEST_SEED_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('username').getByText(username, { exact: true }).waitFor({ timeout: WAIT });
    return page;
  }

  it('renders the car rows before the slowed cost-center subgraph answers, then fills in cost centers and managers', async () => {
    const page = await signIn('admin');
    // Settle the list once at full speed, then ask for it again with the cost-center subgraph slowed.
    await page
      .getByTestId('car-row')
      .nth(PAGE - 1)
      .waitFor({ timeout: WAIT });
    await page.getByTestId('deferred').first().waitFor({ state: 'detached', timeout: WAIT });
    costCenterProxy.delayMs = SLOW_MS;
    const answeredBefore = costCenterProxy.requests;
    const asked = performance.now();
    await page.reload();

    const rows = page.getByTestId('car-row');
    await rows.nth(PAGE - 1).waitFor({ timeout: WAIT });
    // The first part is on the page: every car, each with "loading…" where its cost center and manager go.
    const costCenters = page.getByTestId('cost-center');
    const managers = page.getByTestId('manager');
    expect(await costCenters.allInnerTexts()).toEqual(Array(PAGE).fill('loading…'));
    expect(await managers.allInnerTexts()).toEqual(Array(PAGE).fill('loading…'));
    expect(await rows.locator('td:first-child').allInnerTexts()).toEqual(
      seedCars.slice(0, PAGE).map((car) => car.brand),
    );
    // ... and the slowed subgraph was asked, and has not answered yet.
    expect(costCenterProxy.requests).toBeGreaterThan(answeredBefore);
    expect(costCenterProxy.pending).toBeGreaterThan(0);
    expect(await page.getByTestId('car-count').innerText()).not.toContain('refreshing');

    // The deferred part replaces the placeholders once the cost-center subgraph has answered.
    await page.getByTestId('deferred').first().waitFor({ state: 'detached', timeout: WAIT });
    expect(performance.now() - asked).toBeGreaterThanOrEqual(SLOW_MS);
    expect(await costCenters.allInnerTexts()).toEqual(seedCars.slice(0, PAGE).map((car) => costCenterOf(car).code));
    expect(await managers.allInnerTexts()).toEqual(seedCars.slice(0, PAGE).map((car) => managerOf(car).username));
    expect(await page.getByTestId('manager-email').allInnerTexts()).toEqual(
      seedCars.slice(0, PAGE).map((car) => managerOf(car).email),
    );
    await expect(page.getByTestId('issue-summary').count()).resolves.toBe(0);
  });

  it('shows a car, then its audit trail from the deferred part', async () => {
    const car = seedCars[3]!;
    const page = await signIn('admin');
    const answer = page.waitForResponse(
      (response) => /"operationName":"CarDetails"/.test(response.request().postData() ?? ''),
      {
        timeout: WAIT,
      },
    );
    await page.goto(`${consoleUrl}#/cars/${car.id}`);
    // Asked for in parts, and answered in parts (docs/defer.md).
    const response = await answer;
    expect(await response.request().headerValue('accept')).toMatch(/^multipart\/mixed;deferSpec=20220824,/);
    expect(await response.headerValue('content-type')).toBe('multipart/mixed;boundary="graphql";deferSpec=20220824');
    await page.getByTestId('car-brand').getByText(car.brand).waitFor({ timeout: WAIT });
    await page.getByRole('heading', { name: 'History' }).waitFor({ timeout: WAIT });
    await page.getByText(/\d+ changes? \(newest first\)/).waitFor({ timeout: WAIT });
    await expect(page.getByTestId('deferred').count()).resolves.toBe(0);
  });

  it('needed nothing beyond this machine and raised no page error nor console error', () => {
    expect(session.blocked).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  });
});
