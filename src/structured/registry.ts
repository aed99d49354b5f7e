// Every structured class, by canonical name and alias. Adding a class = one file + one line here.
import type { ClassName, ClassSpec } from './types';
import { unconstrained } from './classes/unconstrained';
import { lowRank } from './classes/lowRank';
import { toeplitzLike } from './classes/toeplitzLike';
import { hankelLike } from './classes/hankelLike';
import { vandermondeLike } from './classes/vandermondeLike';
import { circulant } from './classes/circulant';
import { fastfood } from './classes/fastfood';
import { ldrSd, ldrSdCorner } from './classes/ldrSd';
import { ldrTd, ldrTdCorner } from './classes/ldrTd';

export const CLASSES: readonly ClassSpec[] = [
  unconstrained,
  lowRank,
  toeplitzLike,
  hankelLike,
  vandermondeLike,
  circulant,
  fastfood,
  ldrSd,
  ldrSdCorner,
  ldrTd,
  ldrTdCorner,
];

const byName = new Map<string, ClassSpec>();
for (const spec of CLASSES) {
  byName.set(spec.name, spec);
  for (const alias of spec.aliases) byName.set(alias, spec);
}

/** Every accepted spelling (canonical names first), for error messages and schema checks. */
export const CLASS_NAMES: readonly string[] = [
  ...CLASSES.map((c) => c.name),
  ...CLASSES.flatMap((c) => c.aliases),
];

/** The spec for a canonical name or alias, or undefined. */
export function findClass(name: string): ClassSpec | undefined {
  return byName.get(name);
}

export function getClass(name: string): ClassSpec {
  const spec = byName.get(name);
  if (!spec) throw new Error(`unknown class "${name}"; expected one of: ${CLASSES.map((c) => c.name).join(', ')}`);
  return spec;
}

export function canonicalClassName(name: string): ClassName {
  return getClass(name).name;
}
