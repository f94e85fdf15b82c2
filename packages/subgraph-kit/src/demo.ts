/**
 * @car-check/common/demo: the demo fleet (cars, cost centers, users with matching ids)
 * that each subgraph seeds its share of outside production, and that tests and
 * benchmarks build on. A separate entry so that production code never imports it by accident.
 */
export * from './seed/fleet';
