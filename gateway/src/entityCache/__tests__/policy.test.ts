import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readCachePolicies } from '../policy';

const SUPERGRAPH = readFileSync(path.resolve(__dirname, '../../../../supergraph.graphql'), 'utf8');

describe('@cacheEntity in the supergraph', () => {
  it('reads what the owners declared in their SDL, composed', () => {
    const { policies, routingUrls } = readCachePolicies(SUPERGRAPH);
    expect(Object.fromEntries(policies)).toEqual({
      Car: { owner: 'car', maxAgeMs: 300_000, perCaller: false },
      CostCenter: { owner: 'cost-center', maxAgeMs: 300_000, perCaller: false },
      User: { owner: 'user', maxAgeMs: 300_000, perCaller: true },
    });
    expect(routingUrls.get('car')).toMatch(/^http/);
  });

  it('ignores a declaration whose owner is no subgraph of the supergraph', () => {
    const ignored: string[] = [];
    const forged = SUPERGRAPH.replace('@cacheEntity(owner: "car"', '@cacheEntity(owner: "elsewhere"');
    const { policies } = readCachePolicies(forged, (type) => ignored.push(type));
    expect(policies.has('Car')).toBe(false);
    expect(ignored).toEqual(['Car']);
  });
});
