import type { RequestInfo } from '@car-check/subgraph-kit';
import type { PrismaClient } from './prisma';
import type { ReportServices } from './services';

/** Everything a report resolver may use; built afresh for every request. */
export interface Context extends RequestInfo {
  prisma: PrismaClient;
  services: ReportServices;
}

export function createContext(
  { prisma, services }: { prisma: PrismaClient; services: ReportServices },
  request: RequestInfo,
): Context {
  return { ...request, prisma, services };
}
