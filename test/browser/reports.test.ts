/**
 * The fleet console's Reports page in Chromium, against the real graph started in process (PGlite, every
 * subgraph, the report subgraph fed by the owners' events). The pages are built as `npm start` builds them
 * (scripts/lib/webPages.ts, no build variables; once per run for every browser suite, see
 * test-support/webBuild.ts) and served by the gateway at /console/.
 *
 * An admin opens Reports and sees the seeded fleet per society, with the counts the owners' data gives (cars
 * read through the gateway and grouped here) and the report answers; the chart is an SVG stacked bar chart
 * with one series per society ending at those counts; grouping by more dimensions, by cost center (linked to
 * its page) and as of an instant before a car was added show the figures the graph gives. A viewer (no user:read) is not offered
 * the Manager dimension, and is told clearly when an address asks for it. Any page error or console error
 * fails the suite, and so does any request off this machine.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { seedCostCenters } from '@car-check/subgraph-kit/demo';
import type { TestGraph } from '@car-check/test-support/graph';
import { dataOf } from '@car-check/test-support/graphql';
import { TEST_SEED_PASSWORD } from '@car-check/test-support/secrets';
import { waitFor } from '@car-check/test-support/waitFor';
import { REPO_ROOT, startBrowser, startGraphWithPages, type BrowserSession } from './harness';

jest.setTimeout(240_000);
const WAIT = 45_000;

const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === 'true'
    ? path.join(REPO_ROOT, 'docs', 'screenshots')
    : mkdtempSync(path.join(os.tmpdir(), 'reports-screenshots-'));

/** A `datetime-local` value in the browser's (this machine's) time zone. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

interface OwnedCar {
  brand: string;
  costCenter: { id: string; code: string; societyName: string };
}

/** Counts per key, as `key -> count`, for comparing the page's table with the expected figures. */
type Counts = Record<string, number>;

function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Counts {
  const counts: Counts = {};
  for (const item of items) counts[keyOf(item)] = (counts[keyOf(item)] ?? 0) + 1;
  return counts;
}

describe('the console’s Reports page in Chromium (pglite)', () => {
  let graph: TestGraph;
  let origin: string;
  let consoleUrl: string;
  let session: BrowserSession;

  /** Every car as its owners hold it, read through the gateway (the seeded fleet fits in one page). */
  async function ownersCars(): Promise<OwnedCar[]> {
    const { cars } = dataOf(
      await graph.query<{ cars: { totalCount: number; edges: { node: OwnedCar }[] } }>(
        '{ cars(first: 100) { totalCount edges { node { brand costCenter { id code societyName } } } } }',
      ),
    );
    expect(cars.totalCount).toBe(cars.edges.length);
    return cars.edges.map(({ node }) => node);
  }

  /** The report's total now, once its read model has every owner's events so far. */
  async function reportTotal(): Promise<number | undefined> {
    const response = await graph.query<{
      fleetReport: { totalCars: number; freshness: { asOf: string | null } } | null;
    }>('{ fleetReport(groupBy: []) { totalCars freshness { asOf } } }');
    return response.data?.fleetReport?.freshness.asOf ? response.data.fleetReport.totalCars : undefined;
  }

  /**
   * Waits until the report counts what the owners hold (its consumers have caught up). The owners are
   * read once: nothing writes while this waits, and each read is a query across two subgraphs.
   */
  async function waitForReport(): Promise<number> {
    const expected = (await ownersCars()).length;
    await waitFor(
      async () => (await reportTotal()) === expected,
      WAIT * 2,
      'the report subgraph to count the owners’ cars',
    );
    return expected;
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    session = await startBrowser();
    graph = await startGraphWithPages();
    origin = new URL(graph.gatewayUrl).origin;
    consoleUrl = `${origin}/console/`;
    await waitForReport();
  }, 900_000);

  afterAll(async () => {
    await session?.close();
    await graph?.stop();
  });

  /** Signs in; resolves once the console has asked the graph what the caller may report on. */
  async function signIn(username: string): Promise<Page> {
    const page = await session.newPage();
    await page.goto(consoleUrl);
    await page.getByLabel('Username').fill(username, { timeout: WAIT });
    await page.getByLabel('Password').fill(TEST_SEED_PASSWORD);
    const access = page.waitForResponse(
      (response) => response.request().postData()?.includes('"operationName":"ReportAccess"') ?? false,
      { timeout: WAIT },
    );
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('username').getByText(username, { exact: true }).waitFor({ timeout: WAIT });
    await access;
    return page;
  }

  /** The table's rows as `key -> count`, the key being the row's dimension cells joined by ` | `. */
  async function tableCounts(page: Page): Promise<Counts> {
    const counts: Counts = {};
    for (const row of await page.getByTestId('group-row').all()) {
      const keys = await row.locator('td[data-dimension]').allInnerTexts();
      counts[keys.map((key) => key.trim()).join(' | ')] = Number(await row.getByTestId('group-count').innerText());
    }
    return counts;
  }

  /** Waits until the table shows `expected` (the page refetches as options change). */
  async function waitForTable(page: Page, expected: Counts, what: string): Promise<void> {
    let shown: Counts = {};
    await waitFor(
      async () => {
        shown = await tableCounts(page);
        return JSON.stringify(Object.entries(shown).sort()) === JSON.stringify(Object.entries(expected).sort());
      },
      WAIT,
      `the table to show ${what}`,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nexpected ${JSON.stringify(expected)}\nshown ${JSON.stringify(shown)}`);
    });
  }

  /** The report's groups as the graph answers them, as `key -> count` (keys in `groupBy`'s order). */
  async function reportCounts(groupBy: string[], asOf?: string): Promise<Counts> {
    const { fleetReport } = dataOf(
      await graph.query<{
        fleetReport: {
          groups: {
            edges: {
              node: {
                carCount: number;
                key: { society: string | null; brand: string | null; costCenter: { code: string } | null };
              };
            }[];
          };
        };
      }>(
        `query($groupBy: [FleetDimension!]!, $asOf: DateTime) {
          fleetReport(groupBy: $groupBy, asOf: $asOf) {
            groups(first: 100) { edges { node { carCount key { society brand costCenter { code } } } } }
          }
        }`,
        { groupBy, asOf },
      ),
    );
    const counts: Counts = {};
    for (const { node } of fleetReport.groups.edges) {
      const parts = groupBy.map((dimension) =>
        dimension === 'SOCIETY' ? node.key.society : dimension === 'BRAND' ? node.key.brand : node.key.costCenter?.code,
      );
      counts[parts.join(' | ')] = node.carCount;
    }
    return counts;
  }

  it('shows an admin the fleet per society (the owners’ counts), a chart with one series per society, other groupings and a past instant', async () => {
    const cars = await ownersCars();
    const perSociety = countBy(cars, (car) => car.costCenter.societyName);
    expect(Object.keys(perSociety).length).toBeGreaterThan(1);
    // The report agrees with the owners' data before the page is even opened.
    expect(await reportCounts(['SOCIETY'])).toEqual(perSociety);

    const page = await signIn('admin');
    await page.getByTestId('nav-reports').click();
    await page.getByRole('heading', { name: 'Reports' }).waitFor({ timeout: WAIT });
    await waitForTable(page, perSociety, 'cars per society');
    await page
      .getByTestId('report-count')
      .getByText(`${cars.length} cars in ${Object.keys(perSociety).length} groups`)
      .waitFor({ timeout: WAIT });
    expect(await page.getByTestId('freshness').innerText()).toMatch(
      /^Figures as of .+\. Read model complete up to .+, lag \d+\.\d s\.$/,
    );

    // The chart: one series per society, whose last bar (the bucket holding now) is its count.
    const svg = page.getByTestId('chart-svg');
    await svg.waitFor({ timeout: WAIT });
    expect(await svg.getAttribute('role')).toBe('img');
    await waitFor(async () => (await page.getByTestId('chart-series').count()) > 0, WAIT, 'the chart’s series');
    const names = await page
      .getByTestId('chart-series')
      .evaluateAll((series) => series.map((s) => s.getAttribute('data-name')));
    expect([...names].sort()).toEqual(Object.keys(perSociety).sort());
    const lastPoints = await page
      .getByTestId('chart-table')
      .locator('tbody tr')
      .evaluateAll((rows) =>
        rows.map((row) => [
          row.querySelector('th')?.textContent ?? '',
          Number(row.querySelector('td:last-child')?.textContent),
        ]),
      );
    expect(Object.fromEntries(lastPoints)).toEqual(perSociety);
    // A segment per society in each of the 12 monthly bars.
    for (const series of await page.getByTestId('chart-series').all())
      await expect(series.locator('rect').count()).resolves.toBe(12);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'reports.png'), fullPage: true });

    // Weeks instead of months: the same societies.
    await page.getByLabel('Buckets').selectOption('WEEK');
    await page.getByRole('img', { name: /end of each week/ }).waitFor({ timeout: WAIT });
    await expect(page.getByTestId('chart-series').count()).resolves.toBe(names.length);

    // Society and brand: the owners' figures per pair, and the graph's.
    await page.getByRole('checkbox', { name: 'Brand' }).check();
    const perSocietyAndBrand = countBy(cars, (car) => `${car.costCenter.societyName} | ${car.brand}`);
    expect(await reportCounts(['SOCIETY', 'BRAND'])).toEqual(perSocietyAndBrand);
    await waitForTable(page, perSocietyAndBrand, 'cars per society and brand');
    expect(await page.locator('table.report thead th').allInnerTexts()).toEqual(['Society', 'Brand', 'Cars', 'Share']);

    // Cost center alone: each key links to its page.
    await page.getByRole('checkbox', { name: 'Society' }).uncheck();
    await page.getByRole('checkbox', { name: 'Brand' }).uncheck();
    await page.getByRole('checkbox', { name: 'Cost center' }).check();
    const perCenter = countBy(cars, (car) => car.costCenter.code);
    await waitForTable(page, perCenter, 'cars per cost center');
    const code = seedCostCenters[0]!.code;
    await page.getByTestId('group-row').getByRole('link', { name: code, exact: true }).click();
    await page.getByRole('heading', { name: new RegExp(`Cost center ${code}`) }).waitFor({ timeout: WAIT });
    await page.goBack();
    await waitForTable(page, perCenter, 'cars per cost center, back');

    // A car added after an instant: the report as of that instant does not count it; now does.
    const before = new Date(Math.ceil(Date.now() / 1000) * 1000);
    await waitFor(() => Date.now() > before.getTime() + 1000, 5_000, 'a second to pass');
    const center = seedCostCenters[1]!;
    dataOf(
      await graph.query<{ createCar: { id: string } }>(
        'mutation($cc: ID!) { createCar(input: { brand: "Fiat", model: "500e", costCenterId: $cc }) { id } }',
        { cc: center.id },
      ),
    );
    await waitForReport();
    const now = await reportCounts(['COST_CENTER']);
    expect(now).toEqual({ ...perCenter, [center.code]: perCenter[center.code]! + 1 });
    expect(await reportCounts(['COST_CENTER'], before.toISOString())).toEqual(perCenter);

    await page.getByLabel('As of').fill(localInput(before));
    await page.getByRole('button', { name: 'Apply' }).click();
    await waitForTable(page, perCenter, `cars per cost center as of ${before.toISOString()}`);
    const described = await page.getByTestId('freshness').locator('time').first().getAttribute('datetime');
    expect(Date.parse(described!)).toBe(before.getTime());
    await page.getByRole('button', { name: 'Now' }).click();
    await waitForTable(page, now, 'cars per cost center now');

    // Long before the fleet existed: no car.
    await page.getByLabel('As of').fill('2001-01-01T00:00:00');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No car matches.').waitFor({ timeout: WAIT });
    await page.getByTestId('report-count').getByText('0 cars in 0 groups').waitFor({ timeout: WAIT });
  });

  it('does not offer a viewer (no user:read) the Manager dimension, and says why when an address asks for it', async () => {
    const page = await signIn('viewer');
    await page.getByTestId('nav-reports').click();
    await page.getByRole('heading', { name: 'Reports' }).waitFor({ timeout: WAIT });
    await page.getByTestId('group-row').first().waitFor({ timeout: WAIT });
    const offered = page.getByRole('group', { name: 'Group by' }).getByRole('checkbox');
    expect(await offered.evaluateAll((boxes) => boxes.map((box) => box.getAttribute('value')))).toEqual([
      'SOCIETY',
      'COST_CENTER',
      'BRAND',
      'MODEL',
    ]);
    expect(await page.getByTestId('denied-dimensions').innerText()).toContain('Manager (needs user:read)');

    await page.goto(`${consoleUrl}#/reports?groupBy=MANAGER`);
    const refused = page.getByTestId('report-refused');
    await refused.waitFor({ timeout: WAIT });
    expect(await refused.innerText()).toContain('Grouping by Manager needs report:read and user:read');
    await expect(page.getByTestId('group-row').count()).resolves.toBe(0);
    // Its way out: the same report without the refused dimension, one group of every car.
    await refused.getByRole('link', { name: 'Group by nothing instead' }).click();
    await waitForTable(page, { '': (await ownersCars()).length }, 'one group of every car');
  });

  it('needed nothing beyond this machine and raised no page error nor console error', () => {
    expect(session.blocked).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  });
});
