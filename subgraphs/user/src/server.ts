import path from 'node:path';
import { subgraphPackageFiles } from '@car-check/service-kit';
import { defineSubgraph } from '@car-check/subgraph-kit';
import { authConfigFromEnv } from './auth/config';
import { loadSigningKeys } from './auth/keys';
import { authRoutes } from './auth/routes';
import { LoginThrottle } from './auth/throttle';
import { FailoverThrottleStore, MemoryThrottleStore } from './auth/throttleStore';
import { TokenService } from './auth/tokens';
import { createContext, type UserServices } from './context';
import { createPrisma } from './prisma';
import { resolvers } from './resolvers';
import { seed } from './seed';

/** The user subgraph: its SDL, resolvers and data, plus the token service, ready to boot or test. */
export const userSubgraph = defineSubgraph({
  // Its SDL and migrations, where package.json declares them (the same from src/ and from dist/).
  ...subgraphPackageFiles(path.join(__dirname, '..')),
  resolvers,
  createPrisma,
  createContext,
  seed,
  setup: async ({ prisma, log, config, signatures, redis }) => {
    const auth = authConfigFromEnv(config.env);
    const tokens = new TokenService(prisma, await loadSigningKeys(auth), auth);
    const services: UserServices = {
      tokens,
      throttle: new LoginThrottle(auth, redis ? new FailoverThrottleStore(redis) : new MemoryThrottleStore()),
    };
    return { services, routes: authRoutes(tokens, signatures, log) };
  },
});
