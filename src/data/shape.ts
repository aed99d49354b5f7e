// The input size a dataset gives a model, with or without the 28×28 → 32×32 zero padding.
import type { CatalogEntry } from './catalog';

/** Padding applies to 28×28 images only; 32×32 datasets (CIFAR-10, NORB) are unchanged by it. */
export function paddedShape(entry: CatalogEntry, pad32: boolean): [number, number, number] {
  const [h, w, c] = entry.imageShape;
  return pad32 && h === 28 && w === 28 ? [32, 32, c] : [h, w, c];
}

/** n = height × width × channels after optional padding (784 or 1024 for the paper's datasets). */
export function inputSize(entry: CatalogEntry, pad32: boolean): number {
  const [h, w, c] = paddedShape(entry, pad32);
  return h * w * c;
}
