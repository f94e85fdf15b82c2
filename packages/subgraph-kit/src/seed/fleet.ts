import { sha256Hex } from '@car-check/service-kit';

/**
 * The demo fleet, shared by the three subgraphs' seeds. Ids are derived from
 * names, so each subgraph can seed its own slice independently and the
 * cross-service references (a car's cost center, a cost center's manager)
 * still line up, and seeding twice changes nothing.
 */
export function seedId(name: string): string {
  const hex = sha256Hex(`car-check-seed:${name}`);
  // Shape it as an RFC 4122 name-based UUID (version 5 bits, variant 10).
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface SeedUser {
  id: string;
  username: string;
  email: string;
  groups: string[];
  isActive: boolean;
}

export interface SeedCostCenter {
  id: string;
  code: string;
  societyName: string;
  managerId: string;
}

export interface SeedCar {
  id: string;
  brand: string;
  model: string;
  version: string | null;
  costCenterId: string;
}

const people: [string, string[], boolean][] = [
  ['admin', ['admin'], true],
  ['manager', ['fleet-manager'], true],
  ['viewer', ['viewer'], true],
  ['claire.martin', ['fleet-manager'], true],
  ['hugo.bernard', ['fleet-manager'], true],
  ['lea.dubois', ['viewer'], true],
  ['tom.leroy', ['viewer'], false],
];

export const seedUsers: SeedUser[] = people.map(([username, groups, isActive]) => ({
  id: seedId(`user:${username}`),
  username,
  email: `${username}@fleet.example`,
  groups,
  isActive,
}));

const centers: [string, string, string][] = [
  ['CC-PAR-001', 'Acme Logistics Paris', 'manager'],
  ['CC-LYO-002', 'Acme Logistics Lyon', 'claire.martin'],
  ['CC-MRS-003', 'Acme Services Marseille', 'hugo.bernard'],
  ['CC-LIL-004', 'Acme Services Lille', 'manager'],
  ['CC-BDX-005', 'Acme Retail Bordeaux', 'claire.martin'],
];

export const seedCostCenters: SeedCostCenter[] = centers.map(([code, societyName, manager]) => ({
  id: seedId(`cost-center:${code}`),
  code,
  societyName,
  managerId: seedId(`user:${manager}`),
}));

const catalogue: [string, string, (string | null)[]][] = [
  ['Renault', 'Clio', ['TCe 90', 'E-Tech 145', null]],
  ['Renault', 'Megane', ['E-Tech EV60']],
  ['Peugeot', '208', ['PureTech 100', 'e-208']],
  ['Peugeot', '3008', ['Hybrid 136']],
  ['Citroen', 'C3', ['PureTech 83']],
  ['Volkswagen', 'Golf', ['1.5 eTSI', 'GTE']],
  ['Toyota', 'Yaris', ['Hybrid 116']],
  ['Tesla', 'Model 3', ['Long Range']],
  ['Dacia', 'Sandero', ['TCe 90', null]],
  ['Skoda', 'Octavia', ['Combi 2.0 TDI']],
];

// 40 cars spread over the cost centers, cycling through the catalogue.
export const seedCars: SeedCar[] = Array.from({ length: 40 }, (_, i) => {
  const [brand, model, versions] = catalogue[i % catalogue.length]!;
  const center = seedCostCenters[i % seedCostCenters.length]!;
  return {
    id: seedId(`car:${i + 1}`),
    brand,
    model,
    version: versions[Math.floor(i / catalogue.length) % versions.length] ?? null,
    costCenterId: center.id,
  };
});
