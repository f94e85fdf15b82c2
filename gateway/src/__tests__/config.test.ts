import { loadGatewayConfig, subgraphTimeoutMs, subgraphUrl } from '../config';

describe('where and how long the gateway calls each subgraph', () => {
  it('gives a subgraph its own timeout, else SUBGRAPH_TIMEOUT_MS, also one supergraph.yaml does not list', () => {
    const config = loadGatewayConfig({ SUBGRAPH_TIMEOUT_MS: '1234', CAR_SUBGRAPH_TIMEOUT_MS: '900' });
    expect(subgraphTimeoutMs(config, 'car')).toBe(900);
    expect(subgraphTimeoutMs(config, 'user')).toBe(1234);
    // A supergraph from SUPERGRAPH_URL may route to a subgraph that is not in supergraph.yaml.
    expect(subgraphTimeoutMs(config, 'inventory')).toBe(1234);
  });

  it('reaches a subgraph at its own URL, else the routing URL the supergraph gives it, else supergraph.yaml’s', () => {
    const config = loadGatewayConfig({ CAR_SUBGRAPH_URL: 'http://car.internal:8080/graphql' });
    expect(subgraphUrl(config, 'car', 'http://elsewhere/graphql')).toBe('http://car.internal:8080/graphql');
    expect(subgraphUrl(config, 'user', 'http://user.from.supergraph/graphql')).toBe(
      'http://user.from.supergraph/graphql',
    );
    expect(subgraphUrl(config, 'user')).toMatch(/^http:\/\//);
  });

  it('merges entity fetches by default, up to 512 KB a call, and can be told not to', () => {
    expect(loadGatewayConfig({})).toMatchObject({ mergeEntityFetches: true, mergedFetchMaxBytes: 512 * 1024 });
    expect(loadGatewayConfig({ MERGE_ENTITY_FETCHES: 'false', MERGED_FETCH_MAX_BYTES: '64kb' })).toMatchObject({
      mergeEntityFetches: false,
      mergedFetchMaxBytes: 64 * 1024,
    });
    expect(() => loadGatewayConfig({ MERGED_FETCH_MAX_BYTES: 'lots' })).toThrow(/MERGED_FETCH_MAX_BYTES/);
  });
});
