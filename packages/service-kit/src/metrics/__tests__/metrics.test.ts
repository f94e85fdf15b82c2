import { ServiceMetrics } from '../metrics';

const operationsIn = async (metrics: ServiceMetrics) =>
  new Set(
    [...(await metrics.registry.metrics()).matchAll(/graphql_requests_total\{[^}]*operation="([^"]+)"/g)].map(
      (match) => match[1],
    ),
  );

describe('ServiceMetrics operation labels', () => {
  it("never gives an anonymous caller's unknown operation name a label slot", async () => {
    const metrics = new ServiceMetrics('test');
    for (let i = 0; i < 500; i++) metrics.observeRequest(`Flood${i}`, 'OK', 0.001);
    metrics.observeRequest('RealOperation', 'OK', 0.001, true);
    const labels = await operationsIn(metrics);
    expect(labels).toEqual(new Set(['other', 'RealOperation']));
  });

  it('counts an anonymous call of a name an authenticated caller made known under that name', async () => {
    const metrics = new ServiceMetrics('test');
    metrics.observeRequest('Shared', 'OK', 0.001, true);
    metrics.observeRequest('Shared', 'OK', 0.001);
    expect(await metrics.registry.metrics()).toMatch(/graphql_requests_total\{[^}]*operation="Shared"[^}]*\} 2/);
  });

  it("bounds authenticated callers' names too", async () => {
    const metrics = new ServiceMetrics('test');
    for (let i = 0; i < 250; i++) metrics.observeRequest(`Known${i}`, 'OK', 0.001, true);
    const labels = await operationsIn(metrics);
    expect(labels.size).toBe(201);
    expect(labels.has('other')).toBe(true);
  });
});
