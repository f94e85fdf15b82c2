import { authorization } from '../auth/authorizeOperation';
import type { ExecutorLayer } from './executor';

/**
 * The layers around Apollo Gateway's executor, outermost first. Adding one is
 * one file and one line here (docs/gateway-seams.md).
 */
export const EXECUTOR_LAYERS: readonly ExecutorLayer[] = [
  authorization, // @authenticated and @requiresScopes: denied fields removed before planning
];
