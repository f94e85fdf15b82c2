import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Kind, parse, print, type OperationDefinitionNode } from 'graphql';
import { subgraphNames, subgraphRegistration } from '@car-check/service-kit';
import { compose, readSupergraphConfig, REPO_ROOT } from '../../scripts/lib/compose';
import { DEFAULT_OPERATIONS_FILE } from '../../scripts/lib/schemaCheck';
import { readGeneratedSubgraphSdl } from '../../scripts/lib/subgraphSdl';

describe('committed artifacts are current', () => {
  it('supergraph.graphql is the composition of supergraph.yaml (run `npm run compose`)', async () => {
    const outcome = compose(await readSupergraphConfig());
    expect(outcome.ok).toBe(true);
    const committed = await readFile(path.join(REPO_ROOT, 'supergraph.graphql'), 'utf8');
    expect(outcome.ok && outcome.supergraphSdl).toBe(committed);
  });

  it.each(subgraphNames())(
    "the %s subgraph's generated SDL is its schema.graphql with the shared types it uses (run `npm run generate`)",
    async (name) => {
      const registration = subgraphRegistration(name);
      const committed = await readFile(registration.schemaFile, 'utf8');
      expect(committed).toBe(await readGeneratedSubgraphSdl(registration, REPO_ROOT));
    },
  );

  it('every operation shown in the README and docs/frontends.md is in the persisted-operations list', async () => {
    const files = ['README.md', 'docs/frontends.md'];
    const shownIn = await Promise.all(files.map((file) => readFile(path.join(REPO_ROOT, file), 'utf8')));
    const blocks = shownIn.flatMap((text) =>
      [...text.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1]!),
    );
    const shown = blocks.flatMap((block) => operationsOf(block));
    const listed = new Map(
      operationsOf(await readFile(DEFAULT_OPERATIONS_FILE, 'utf8')).map((op) => [op.name?.value, print(op)]),
    );
    expect(shown.length).toBeGreaterThan(5);
    for (const operation of shown) {
      expect(operation.name?.value).toBeDefined();
      expect(listed.get(operation.name?.value)).toBe(print(operation));
    }
  });
});

function operationsOf(source: string): OperationDefinitionNode[] {
  return parse(source).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
}
