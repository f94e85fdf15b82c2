/**
 * `npm run events:rebuild -- --subgraph car`: rebuilds a subgraph's read models
 * (the car subgraph's replica of the cost centers) from their owners' full
 * event feeds. Empties each read model and its cursor and replays the feed from
 * the start, in one transaction: readers see the old read model until the new
 * one is committed whole.
 *
 * - Embedded database (PGlite): stop the subgraph first; its data folder can
 *   only be opened by one process.
 * - PostgreSQL: safe while the subgraph runs. The rebuild holds the consumer's
 *   advisory lock: the running consumer skips its polls until the rebuild has
 *   committed, then goes on from the rebuilt cursor.
 *
 * The owners must be running: their feeds are read through their configured
 * addresses (e.g. COST_CENTER_SUBGRAPH_URL), signed with the signing secret.
 */
import { runReadModelCommand } from './lib/readModelCommand';

runReadModelCommand('events:rebuild', 'rebuildReadModels', 'read models rebuilt');
