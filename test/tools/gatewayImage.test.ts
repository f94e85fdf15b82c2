import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DOCKERFILE, dockerfileFor } from '../../scripts/lib/deploy/dockerfileRules';
import { readGraphServices } from '../../scripts/lib/deploy/graphServices';
import {
  installedPackages,
  installLikeStage,
  type ProductionInstall,
} from '../../scripts/lib/deploy/productionInstall';

const ROOT = path.resolve(__dirname, '..', '..');
/** Database and broker clients, and the libraries built on them: none belongs in the gateway's image. */
const FORBIDDEN = ['pg', '@electric-sql/pglite', 'prisma', 'pglite-prisma-adapter', 'amqplib', 'dataloader'];
const FORBIDDEN_SCOPES = ['@prisma/'];
const FORBIDDEN_LIBRARIES = ['@car-check/subgraph-kit', '@car-check/events'];
// npm ci against the registry, on a loaded 2-core machine.
const INSTALL_TIMEOUT_MS = 15 * 60_000;

/**
 * The gateway's image, as its production-dependencies stage installs it: the stage's own
 * COPY lines and npm ci command, read from the Dockerfile with the gateway's build
 * arguments, run against the registry. What is installed is what the image ships.
 */
describe("the gateway image's installed dependency tree", () => {
  let install: ProductionInstall;
  let installed: Set<string>;

  beforeAll(() => {
    const gateway = readGraphServices(ROOT).find((service) => service.role === 'gateway');
    if (!gateway) throw new Error('no gateway in the graph');
    const dockerfile = dockerfileFor(readFileSync(path.join(ROOT, DOCKERFILE), 'utf8'), gateway);
    install = installLikeStage(ROOT, dockerfile, 'production-dependencies', INSTALL_TIMEOUT_MS);
    installed = installedPackages(install.dir);
  }, INSTALL_TIMEOUT_MS + 60_000);

  afterAll(() => {
    if (install) rmSync(install.dir, { recursive: true, force: true });
  });

  it('is the production install of the gateway workspace', () => {
    expect(install.command).toMatch(/npm ci .*--omit=dev/);
    expect(install.command).toContain('--workspace=gateway');
    // What the gateway runs on is there: the install really happened.
    expect(installed).toContain('@car-check/service-kit');
    expect(installed).toContain('@apollo/gateway');
  });

  it('has no database or broker client', () => {
    const found = [...installed].filter(
      (name) => FORBIDDEN.includes(name) || FORBIDDEN_SCOPES.some((scope) => name.startsWith(scope)),
    );
    expect(found.sort()).toEqual([]);
  });

  it('has neither the subgraph kit nor the events package', () => {
    expect(FORBIDDEN_LIBRARIES.filter((name) => installed.has(name))).toEqual([]);
  });
});
