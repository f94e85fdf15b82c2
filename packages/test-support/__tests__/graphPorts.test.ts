import { freePort } from '../../../benchmarks/lib/processGraph';
import { freeGraphPorts } from '../graphPorts';

describe('free ports for a graph', () => {
  // A CI run's `npm start` was refused with "GATEWAY_PORT and COST_CENTER_PORT: both are 21135":
  // each port was free when tested, and the same random one was drawn twice.
  it('never hands out the same port twice in one process', async () => {
    const ports: number[] = [];
    for (let i = 0; i < 400; i += 1) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('gives every service of the graph a port of its own', async () => {
    for (let i = 0; i < 20; i += 1) {
      const { ports } = await freeGraphPorts();
      const values = Object.values(ports);
      expect(new Set(values).size).toBe(values.length);
    }
  });
});
