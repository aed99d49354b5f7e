// Grid expansion: every combination of the grid fields and zip groups, as nested loops: the
// grid fields in file order, then the zip groups in order, the last axis varying fastest. Pure: no config resolution here.
import type { SweepSpec } from './schema';

/** One value assigned to one field, and where in the sweep file it came from. */
export interface Assignment {
  field: string;
  value: unknown;
  /** YAML path of the value, for error messages. */
  origin: (string | number)[];
}

type Axis = Assignment[][];

function axes(spec: SweepSpec): Axis[] {
  const out: Axis[] = [];
  for (const [field, values] of Object.entries(spec.grid)) {
    out.push(values.map((value, i) => [{ field, value, origin: ['sweep', 'grid', field, i] }]));
  }
  spec.zip.forEach((group, g) => {
    const fields = Object.keys(group);
    const n = group[fields[0]].length;
    out.push(
      Array.from({ length: n }, (_, i) =>
        fields.map((field) => ({ field, value: group[field][i], origin: ['sweep', 'zip', g, field, i] })),
      ),
    );
  });
  return out;
}

/** The cartesian product of all axes; one empty combination when nothing varies. */
export function expandGrid(spec: SweepSpec): Assignment[][] {
  let combos: Assignment[][] = [[]];
  for (const axis of axes(spec)) {
    const next: Assignment[][] = [];
    for (const combo of combos) for (const option of axis) next.push([...combo, ...option]);
    combos = next;
  }
  return combos;
}

/** Whether `get(field)` equals the rule's value for every field of the rule. */
export function matchesRule(
  rule: Record<string, unknown>,
  get: (field: string) => unknown,
  same: (field: string, a: unknown, b: unknown) => boolean,
): boolean {
  return Object.entries(rule).every(([field, value]) => same(field, get(field), value));
}
