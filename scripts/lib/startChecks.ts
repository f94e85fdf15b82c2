import { ConfigError } from '@car-check/service-kit';

/** Where one service of the graph is configured to listen, and the variable that says so. */
export interface ConfiguredPort {
  variable: string;
  port: number;
}

/**
 * Refuses two services configured on one port (CAR_PORT=4000 beside the gateway's
 * 4000): one would fail to bind, or worse, answer the other's readiness probe. One
 * line naming both variables. Port 0 (any free port) is never shared.
 */
export function refuseSharedPorts(ports: ConfiguredPort[]): void {
  const seen = new Map<number, string>();
  for (const { variable, port } of ports) {
    if (port === 0) continue;
    const first = seen.get(port);
    if (first !== undefined) {
      throw new ConfigError(
        `Invalid configuration:\n  ${first} and ${variable}: both are ${port}; give each service a port of its own`,
      );
    }
    seen.set(port, variable);
  }
}
