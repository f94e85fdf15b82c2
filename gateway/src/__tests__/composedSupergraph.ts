import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { supergraphForGateway } from '../auth/securityFeatures';

/**
 * The supergraph the gateway would serve for these subgraphs (name and SDL;
 * each at `http://<name>/graphql`), composed in process for a test.
 */
export function composedSupergraph(subgraphs: Record<string, string>): string {
  const composed = composeServices(
    Object.entries(subgraphs).map(([name, sdl]) => ({ name, url: `http://${name}/graphql`, typeDefs: parse(sdl) })),
  );
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  return supergraphForGateway(composed.supergraphSdl);
}
