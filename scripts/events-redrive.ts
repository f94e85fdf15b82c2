/**
 * `npm run events:redrive -- --subgraph car`: applies a subgraph's dead-lettered
 * events again (its read models' `event_dead_letter` rows), once what made them
 * fail is fixed (a handler bug deployed, an event it needed applied since).
 * Oldest first, each in its own transaction under its consumer's lock; a letter
 * the handler takes is removed, one it still refuses is kept with the new error.
 *
 * - Embedded database (PGlite): stop the subgraph first; its data folder can
 *   only be opened by one process.
 * - PostgreSQL: safe while the subgraph runs (it waits for the consumer's event
 *   in hand). The running subgraph's `/ready` shows the new dead-letter count
 *   after its restart.
 */
import { runReadModelCommand } from './lib/readModelCommand';

runReadModelCommand('events:redrive', 'redriveDeadLetters', 'dead letters applied again');
