import { subgraphNames, subgraphRegistration, type SubgraphRegistration } from '@car-check/service-kit';
import { type SubgraphPackage } from '@car-check/subgraph-kit';

/** A subgraph as the repository's tools see it: where supergraph.yaml routes it, and its package's definition. */
export interface LoadedSubgraph extends SubgraphPackage {
  registration: SubgraphRegistration;
}

const loaded = new Map<string, LoadedSubgraph>();

/**
 * Loads one subgraph's package by its name in supergraph.yaml (only that one: a
 * subgraph's own tests load nothing of the others).
 */
export function loadSubgraph(name: string): LoadedSubgraph {
  let subgraph = loaded.get(name);
  if (!subgraph) {
    const registration = subgraphRegistration(name);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- which module is data (package.json), not code
    const { definition } = require(registration.definitionFile) as { definition?: SubgraphPackage };
    if (!definition) throw new Error(`${registration.definitionFile} does not export "definition".`);
    // Not a spread: that would read `module` and load the subgraph's code now.
    const { spec, loadConfig, toolConfig } = definition;
    subgraph = {
      spec,
      loadConfig,
      toolConfig,
      registration,
      get module() {
        return definition.module;
      },
    };
    loaded.set(name, subgraph);
  }
  return subgraph;
}

/** The subgraphs a command should act on: `--subgraph NAME` or every one supergraph.yaml lists. */
export function selectSubgraphs(name: string | undefined): [string, LoadedSubgraph][] {
  const names = name === undefined ? subgraphNames() : [subgraphRegistration(name).name];
  return names.map((each) => [each, loadSubgraph(each)]);
}
