// @ts-nocheck -- loaded by the Hive Gateway CLI from benchmarks/peers/node_modules, which the repo's type check may not have.
// Hive Gateway + Hive Router runtime as the community benchmark configures it
// (graphql-hive/graphql-gateways-benchmark @ e583a1f, gateways/hive-gateway-router-runtime/gateway.config.ts),
// started by benchmarks/gateways/run.ts as `hive-gateway supergraph <file>` (no --jit) from this folder.
import { defineConfig } from '@graphql-hive/gateway';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

export const gatewayConfig = defineConfig({
  unifiedGraphHandler,
  inboundInflightRequestDeduplication: true,
});
