import type { SubgraphHooks } from '@car-check/subgraph-kit';
import type { UserServices } from '../context';
import type { PrismaClient } from '../prisma';
import { authConfigFromEnv } from './config';
import { loadSigningKeys } from './keys';
import { authRoutes } from './routes';
import { LoginThrottle } from './throttle';
import { FailoverThrottleStore, MemoryThrottleStore } from './throttleStore';
import { TokenService } from './tokens';

/** The token service and the sign-in throttle, built once at start, and the sign-in routes. */
export const authHooks: SubgraphHooks<PrismaClient, UserServices> = {
  setup: async ({ prisma, log, config, signatures, redis }) => {
    const auth = authConfigFromEnv(config.env);
    const tokens = new TokenService(prisma, await loadSigningKeys(auth), auth);
    const services: UserServices = {
      tokens,
      throttle: new LoginThrottle(auth, redis ? new FailoverThrottleStore(redis) : new MemoryThrottleStore()),
    };
    return { services, routes: authRoutes(tokens, signatures, log) };
  },
};
