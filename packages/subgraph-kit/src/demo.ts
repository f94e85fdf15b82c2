/**
 * @car-check/subgraph-kit/demo: the demo fleet (cars, cost centers, users with matching ids)
 * that each subgraph seeds its share of outside production, and that tests and
 * benchmarks build on. A separate entry so that production code never imports it by accident.
 */
export {
  seedId,
  type SeedUser,
  type SeedCostCenter,
  type SeedCar,
  seedUsers,
  seedCostCenters,
  seedCars,
} from './seed/fleet';
