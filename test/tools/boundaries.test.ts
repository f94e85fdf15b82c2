import path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

/**
 * The import boundaries are ESLint rules (eslint.boundaries.mjs), run by `npm run lint` in CI.
 * This proves they bite: each probe is linted in place of a real file of that folder, with the real config.
 */
const ROOT = path.resolve(__dirname, '..', '..');

const probes: { file: string; code: string; refused: boolean }[] = [
  // A library's internals, by relative path or by subpath, from a service.
  {
    file: 'gateway/src/server.ts',
    code: "import { readEnv } from '../../packages/service-kit/src/config/env';",
    refused: true,
  },
  {
    file: 'subgraphs/car/src/server.ts',
    code: "import { readEnv } from '@car-check/service-kit/src/config/env';",
    refused: true,
  },
  // The gateway never takes a database, broker or event library, nor a subgraph's code.
  { file: 'gateway/src/server.ts', code: "import { openDatabase } from '@car-check/subgraph-kit';", refused: true },
  { file: 'gateway/src/server.ts', code: "import { FeedConsumer } from '@car-check/events';", refused: true },
  {
    file: 'gateway/src/server.ts',
    code: "import { loadConfig } from '../../subgraphs/car/src/config';",
    refused: true,
  },
  // A subgraph never imports another; product code never imports test support.
  { file: 'subgraphs/car/src/server.ts', code: "import { loadConfig } from '../../user/src/config';", refused: true },
  {
    file: 'subgraphs/car/src/server.ts',
    code: "import { waitFor } from '@car-check/test-support/waitFor';",
    refused: true,
  },
  // What is allowed stays allowed.
  { file: 'gateway/src/server.ts', code: "import { readEnv } from '@car-check/service-kit';", refused: false },
  {
    file: 'subgraphs/car/test/car.subgraph.test.ts',
    code: "import { waitFor } from '@car-check/test-support/waitFor';",
    refused: false,
  },
];

describe('the import boundaries (ESLint)', () => {
  // The boundaries need no type information: without it no TypeScript program is built, so a probe
  // neither waits for one nor depends on files other suites create and delete meanwhile.
  const eslint = new ESLint({ cwd: ROOT, overrideConfig: tseslint.configs.disableTypeChecked });

  it.each(probes)('$file: $code → refused: $refused', async ({ file, code, refused }) => {
    const [result] = await eslint.lintText(`${code}\n`, {
      filePath: path.join(ROOT, file),
    });
    // A probe that could not be linted at all says why, rather than passing for "not refused".
    expect((result?.messages ?? []).filter((message) => message.fatal).map((message) => message.message)).toEqual([]);
    const boundaryErrors = (result?.messages ?? []).filter(
      (message) => message.ruleId === 'import-x/no-restricted-paths' || message.ruleId === 'no-restricted-imports',
    );
    expect(boundaryErrors.length > 0).toBe(refused);
  });
});
