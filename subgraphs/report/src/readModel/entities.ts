/**
 * What the read model keeps of each owner's entities: the fields of a version, read from an
 * event's changes. Fields it does not keep (and fields added later) are ignored.
 */
import { isId } from '@car-check/subgraph-kit';
import type { EventOwner } from '../config';
import type { FieldPicker, FoldEvent } from './fold';

export interface CarFields {
  brand: string | null;
  model: string | null;
  costCenterId: string | null;
}

export interface CostCenterFields {
  code: string | null;
  societyName: string | null;
  managerId: string | null;
}

export interface UserFields {
  username: string | null;
  isActive: boolean | null;
}

const textOrNull = (field: string, value: unknown): string | null => {
  if (value === null || typeof value === 'string') return value;
  throw new Error(`${field} must be a string or null, not ${JSON.stringify(value)}`);
};

const idOrNull = (field: string, value: unknown): string | null => {
  if (value === null || isId(value)) return value;
  throw new Error(`${field} must be an id or null, not ${JSON.stringify(value)}`);
};

/** A picker of the fields named in `readers`, each checked by its reader (which throws on a bad value). */
function picker<F extends object>(readers: {
  [K in keyof F]: (field: string, value: unknown) => F[K];
}): FieldPicker<F> {
  return (changes) => {
    const fields: Partial<F> = {};
    for (const change of changes) {
      if (!Object.hasOwn(readers, change.field)) continue;
      const field = change.field as keyof F & string;
      fields[field] = readers[field](field, change.to);
    }
    return fields;
  };
}

export const pickCar = picker<CarFields>({ brand: textOrNull, model: textOrNull, costCenterId: idOrNull });
export const pickCostCenter = picker<CostCenterFields>({
  code: textOrNull,
  societyName: textOrNull,
  managerId: idOrNull,
});
export const pickUser = picker<UserFields>({
  username: textOrNull,
  isActive: (field, value) => {
    if (value === null || typeof value === 'boolean') return value;
    throw new Error(`${field} must be a boolean or null, not ${JSON.stringify(value)}`);
  },
});

/** The action of an event type of `owner` (`car.updated` -> updated); throws for any other type. */
export function actionOf(owner: EventOwner, type: string): FoldEvent['action'] {
  const match = /^([a-z-]+)\.(created|updated|deleted)$/.exec(type);
  if (!match || match[1] !== owner) throw new Error(`unexpected event type ${JSON.stringify(type)} from ${owner}`);
  return match[2] as FoldEvent['action'];
}
