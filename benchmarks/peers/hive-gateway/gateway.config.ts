// @ts-nocheck -- loaded by the Hive Gateway CLI from benchmarks/peers/node_modules, which the repo's type check may not have.
// Hive Gateway as the community benchmark configures it
// (graphql-hive/graphql-gateways-benchmark @ e583a1f, gateways/hive-gateway/gateway.config.ts),
// started by benchmarks/gateways/run.ts as `hive-gateway supergraph <file> --jit` from this folder.
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({
  inboundInflightRequestDeduplication: true,
});
