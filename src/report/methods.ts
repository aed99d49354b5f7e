// How methods are named and ordered in tables and plots: P1 Table 1's order, its names, and
// its numbers (docs/method.md §6) for --compare-paper. A method is a class, its rank and, for
// toeplitz-like / hankel-like, its fixed operators: Table 1 does not say which pair its
// Toeplitz-like row used, so both readings are separate methods (docs/method.md).
import { OPERATOR_CLASSES } from '../runs/runId';

/** The fixed operators of toeplitz-like / hankel-like: z1 = (Z₁, Z₋₁), z0 = (Z₀, Z₀). */
export type Operators = 'z1' | 'z0';

/** Row order of P1 Table 1 (corner variants after their base class). */
const ORDER = [
  'unconstrained',
  'ldr-td',
  'ldr-td-corner',
  'ldr-sd',
  'ldr-sd-corner',
  'toeplitz-like',
  'hankel-like',
  'vandermonde-like',
  'fastfood',
  'circulant',
  'low-rank',
];

const DISPLAY: Record<string, string> = {
  unconstrained: 'Unconstrained',
  'ldr-td': 'LDR-TD',
  'ldr-td-corner': 'LDR-TD+corners',
  'ldr-sd': 'LDR-SD',
  'ldr-sd-corner': 'LDR-SD+corners',
  'toeplitz-like': 'Toeplitz-like',
  'hankel-like': 'Hankel-like',
  'vandermonde-like': 'Vandermonde-like',
  fastfood: 'Fastfood',
  circulant: 'Circulant',
  'low-rank': 'Low-rank',
};

/** Datasets in the paper's column order, then the built-in stand-ins. */
const DATASET_ORDER = ['mnist-bg-rot', 'mnist-noise', 'cifar10', 'norb', 'rectangles', 'digits-bg-rot', 'digits-noise'];

export function classOrder(className: string): number {
  const i = ORDER.indexOf(className);
  return i < 0 ? ORDER.length : i;
}

export function datasetOrder(dataset: string): number {
  const i = DATASET_ORDER.indexOf(dataset);
  return i < 0 ? DATASET_ORDER.length : i;
}

/** A row's operators: null for classes without fixed operators; z1 (the default) when a run did not record them. */
export function operatorsOf(name: string, operators: Operators | null | undefined): Operators | null {
  return OPERATOR_CLASSES.has(name) ? (operators ?? 'z1') : null;
}

/**
 * Display name of a class on its operators: `Toeplitz-like (Z₁,Z₋₁)` / `Toeplitz-like (Z₀)` (both
 * readings of Table 1's row, always named); Hankel-like names only its non-default `(Z₀)`.
 */
export function className(name: string, operators: Operators | null = null): string {
  const base = DISPLAY[name] ?? name;
  if (operators === null) return base;
  if (name === 'toeplitz-like') return `${base} ${operators === 'z0' ? '(Z₀)' : '(Z₁,Z₋₁)'}`;
  return operators === 'z0' ? `${base} (Z₀)` : base;
}

/** `LDR-TD (r=1)`, `Toeplitz-like (Z₀) (r=4)`, or `Circulant` for a class without a rank. */
export function methodLabel(name: string, rank: number | null, operators: Operators | null = null): string {
  const c = className(name, operators);
  return rank === null ? c : `${c} (r=${rank})`;
}

/** One key per class and operator pair (series of a plot, colours). */
export function methodKey(name: string, operators: Operators | null): string {
  return operators === 'z0' ? `${name}@z0` : name;
}

/** P1 Table 1, SHL test accuracy in % (docs/method.md §6), by dataset then method label. */
const PAPER_TABLE1: Record<string, Record<string, number>> = {
  'mnist-bg-rot': {
    Unconstrained: 44.08,
    'LDR-TD (r=1)': 45.81,
    'Toeplitz-like (r=4)': 42.67,
    Fastfood: 38.13,
    Circulant: 34.46,
    'Low-rank (r=4)': 35.67,
  },
  'mnist-noise': {
    Unconstrained: 65.15,
    'LDR-TD (r=1)': 78.45,
    'Toeplitz-like (r=4)': 75.75,
    Fastfood: 63.55,
    Circulant: 65.35,
    'Low-rank (r=4)': 52.25,
  },
  cifar10: {
    Unconstrained: 46.03,
    'LDR-TD (r=1)': 45.33,
    'Toeplitz-like (r=4)': 41.78,
    Fastfood: 39.64,
    Circulant: 34.28,
    'Low-rank (r=4)': 32.28,
  },
};

/** The paper's test accuracy (%) for this SHL method on this dataset, if it reports one (both Toeplitz-like readings compare to its one row). */
export function paperAccuracy(model: string, dataset: string, name: string, rank: number | null): number | null {
  if (model !== 'shl') return null;
  return PAPER_TABLE1[dataset]?.[methodLabel(name, rank)] ?? null;
}
