// Where each downloadable dataset comes from: the canonical public URLs, what is known about
// each file (byte size, SHA-256 and/or SHA-1 as published or as recorded by well-known loaders),
// and which archive members become which files under `<datasets>/<name>/`.
//
// Provenance of the numbers (none could be re-checked from here, the build machine is offline):
// - CIFAR-10: size 170,052,171 and SHA-256 as recorded by several independent projects (the
//   official page publishes MD5 c32a1d4ab5d03f1284b67883e8d87530 for the same file).
// - Larochelle et al. zips/tarball and the NORB .mat.gz files: SHA-1 as recorded by skdata
//   (J. Bergstra, larochelle_etal_2007/dataset.py and norb/dataset.py); no SHA-256 known.
// - PTB simple-examples.tgz: size 34,869,662 (TensorFlow and Kaldi scripts); no hash known.
// - WikiText-2 wikitext-2-v1.zip: SHA-256 as recorded by Julia DataDeps and others.
// Where only a SHA-1 or a size is recorded, the first fetch prints the observed SHA-256 so that
// a user can pin it here.

/** How a downloaded file is unpacked. */
export type ArchiveKind = 'zip' | 'tar.gz' | 'gz';

export interface Download {
  url: string;
  /** Local file name of the download (the last URL path segment). */
  file: string;
  kind: ArchiveKind;
  /** Exact byte size when known (checked). */
  bytes?: number;
  /** Rough size for `ldr data list` when the exact one is not known (never checked). */
  approxBytes?: number;
  /** Lowercase hex digests when known. */
  sha256?: string;
  sha1?: string;
  /**
   * The most bytes its members may expand to (each, and all together): a bound well above the real
   * size (rows × numbers × characters per number for the .amat text), so that a decompression bomb
   * stops early. Absent: DEFAULT_EXTRACT_LIMIT (sink.ts).
   */
  maxExtractedBytes?: number;
  /**
   * Archive member → file under `<datasets>/<name>/`. A member is matched by its path inside the
   * archive, ignoring a leading `./`; `gz` downloads have exactly one member, named ''.
   */
  members: Record<string, string>;
}

export interface DatasetSource {
  name: string;
  description: string;
  downloads: Download[];
}

const MB = 1024 * 1024;
const GB = 1024 * MB;
const LAROCHELLE = 'http://www.iro.umontreal.ca/~lisa/icml2007data';
const NORB = 'https://cs.nyu.edu/~ylclab/data/norb-v1.0';

/** SHA-1 of each NORB file, keyed by `<split>-<nn>-<dat|cat>` (skdata norb/dataset.py), training first. */
const NORB_SHA1: Record<string, string> = {
  'training-01-cat': 'b9ed38a6af5d9287872ab7064c416fd35dcea79b',
  'training-01-dat': '38789c74538b0a3f86a4f854f0f0e3482451fd09',
  'training-02-cat': '192e87e661f29890e0536bc6445b8fa43fbad832',
  'training-02-dat': 'a559ad82aad672ea281db8c437ea89ca6a76a9fa',
  'training-03-cat': 'ca6f995f9f5b39ae614f8a355a70d53bf1ce4dff',
  'training-03-dat': '4318343182078b87af6e93eb7a1a0d63b55a7af4',
  'training-04-cat': '2353025bfcf02ec6fd91171fcf1f964c2ff1f00b',
  'training-04-dat': '32e193bb7234de588b67592ce04c57cb5b36412a',
  'training-05-cat': '931f63df18ec27e18a3859e35953a6f2a6478b11',
  'training-05-dat': '0669b2942215f05c33d7be07df352d96b5a4bbe3',
  'training-06-cat': '48b91f77aa94dfbd04ccf57b753e4cd42d0631cf',
  'training-06-dat': '779bf6ce2e69cc8cabaf0a1716e6528313c250b0',
  'training-07-cat': 'f29cd673bd9840abf0fecd68a4d328b698f50cfa',
  'training-07-dat': 'ef6410b90cae2d11a4609787806ae44cb2bbe719',
  'training-08-cat': 'd3bc1d9111404d683b8ac6b7adb7e4fa972b765f',
  'training-08-dat': '73302e20486b64824e29a907ec7a353c14c12215',
  'training-09-cat': '801d3b16f7813a9e383507a933b1d8a292f3722b',
  'training-09-dat': '26ad80a8b99283804ab69207f81ff902343037b3',
  'training-10-cat': '1496bce011b0435da3f54e50560b66abfda9824e',
  'training-10-dat': 'f9d53d3cb99188b085ce304f826c95f1e3dc8e14',
  'testing-01-cat': 'ba6e05ca90b151997d3fca7082e7a6bd3a470fd4',
  'testing-01-dat': '4a2a765a8a351e0c005aef54cf320ca53b04d50c',
  'testing-02-cat': '13d11d472f26492e2ee68cf1cfccc23e143a97cb',
  'testing-02-dat': '79e037950a5423fb126685705b4dfb874ca471f3',
};

function norbDownload(key: string): Download {
  const split = key.startsWith('training') ? 'norb-5x46789x9x18x6x2x108x108' : 'norb-5x01235x9x18x6x2x108x108';
  const target = `${split}-${key}.mat`;
  // The largest file (a testing -dat) holds 29,160 pairs of 108×108 bytes: 680 MB.
  return { url: `${NORB}/${target}.gz`, file: `${target}.gz`, kind: 'gz', sha1: NORB_SHA1[key], maxExtractedBytes: GB, members: { '': target } };
}

const CIFAR_BATCHES = ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch'];

export const SOURCES: readonly DatasetSource[] = [
  {
    name: 'mnist-bg-rot',
    description: 'MNIST rotated over background images (Larochelle et al. 2007)',
    downloads: [
      {
        url: `${LAROCHELLE}/mnist_rotation_back_image_new.zip`,
        file: 'mnist_rotation_back_image_new.zip',
        approxBytes: 115 * MB, // skdata's REMOTE_SIZE
        kind: 'zip',
        sha1: '902bb7e96136dd76e9f2924d7fdb9eb832f7bc33',
        maxExtractedBytes: 2 * GB, // 62,000 rows × 785 numbers as text: under 1 GB
        members: {
          'mnist_all_background_images_rotation_normalized_train_valid.amat':
            'mnist_all_background_images_rotation_normalized_train_valid.amat',
          'mnist_all_background_images_rotation_normalized_test.amat':
            'mnist_all_background_images_rotation_normalized_test.amat',
        },
      },
    ],
  },
  {
    name: 'mnist-noise',
    description: 'MNIST over random noise, variation 1 of 6 (Larochelle et al.)',
    downloads: [
      {
        url: `${LAROCHELLE}/mnist_noise_variation.tar.gz`,
        file: 'mnist_noise_variation.tar.gz',
        approxBytes: 304 * MB, // skdata's REMOTE_SIZE
        kind: 'tar.gz',
        sha1: '2d2cfa47c4aa51cc7a8fd1e52abadc7df4b7bfbd',
        maxExtractedBytes: GB, // one variation file of 62,000 rows × 785 numbers as text
        members: { 'mnist_noise_variations_all_1.amat': 'mnist_noise_variations_all_1.amat' },
      },
    ],
  },
  {
    name: 'rectangles',
    description: 'Rectangles, tall vs wide (Larochelle et al. 2007)',
    downloads: [
      {
        url: `${LAROCHELLE}/rectangles.zip`,
        file: 'rectangles.zip',
        approxBytes: Math.round(2.7 * MB), // skdata's REMOTE_SIZE
        kind: 'zip',
        sha1: 'b8d456b1f83bea5efebe76a47a9535adc4b72586',
        maxExtractedBytes: GB, // 51,200 rows × 785 numbers as text: under 700 MB
        members: { 'rectangles_train.amat': 'rectangles_train.amat', 'rectangles_test.amat': 'rectangles_test.amat' },
      },
    ],
  },
  {
    name: 'cifar10',
    description: 'CIFAR-10 binary batches (Krizhevsky 2009)',
    downloads: [
      {
        url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
        file: 'cifar-10-binary.tar.gz',
        kind: 'tar.gz',
        bytes: 170052171,
        maxExtractedBytes: 256 * MB, // 6 batches × 30,730,000 bytes
        sha256: 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd',
        members: Object.fromEntries(
          CIFAR_BATCHES.map((b) => [`cifar-10-batches-bin/${b}.bin`, `cifar-10-batches-bin/${b}.bin`]),
        ),
      },
    ],
  },
  {
    name: 'norb',
    description: 'Jittered-cluttered NORB v1.0 (NYU), 24 .mat.gz files',
    downloads: Object.keys(NORB_SHA1).map(norbDownload),
  },
  {
    name: 'ptb',
    description: "Penn Treebank, Mikolov's 10k-vocabulary text (for the LSTM)",
    downloads: [
      {
        url: 'http://www.fit.vutbr.cz/~imikolov/rnnlm/simple-examples.tgz',
        file: 'simple-examples.tgz',
        kind: 'tar.gz',
        bytes: 34869662,
        maxExtractedBytes: 64 * MB, // the three text files: about 6 MB
        members: {
          'simple-examples/data/ptb.train.txt': 'ptb.train.txt',
          'simple-examples/data/ptb.valid.txt': 'ptb.valid.txt',
          'simple-examples/data/ptb.test.txt': 'ptb.test.txt',
        },
      },
    ],
  },
  {
    name: 'wikitext-2',
    description: 'WikiText-2 (v1, tokenized; for the LSTM)',
    downloads: [
      {
        // The original S3 bucket (research.metamind.io) is gone; this is the author's mirror.
        url: 'https://wikitext.smerity.com/wikitext-2-v1.zip',
        file: 'wikitext-2-v1.zip',
        kind: 'zip',
        sha256: '92675f1d63015c1c8b51f1656a52d5bdbc33aafa60cc47a218a66e7ee817488c',
        maxExtractedBytes: 64 * MB, // the three token files: about 13 MB
        members: {
          'wikitext-2/wiki.train.tokens': 'wiki.train.tokens',
          'wikitext-2/wiki.valid.tokens': 'wiki.valid.tokens',
          'wikitext-2/wiki.test.tokens': 'wiki.test.tokens',
        },
      },
    ],
  },
];

/** Files a source puts under `<datasets>/<name>/`, in table order. */
export function targetFiles(source: DatasetSource): string[] {
  return source.downloads.flatMap((d) => Object.values(d.members));
}

/** Downloads of unknown size stop here unless the table gives a rough size (then 2× that). */
export const DEFAULT_MAX_DOWNLOAD = 2 * GB;

/** The most bytes a download may have: its exact size when known, else a bound from its rough size. */
export function downloadLimit(d: Download): number {
  return d.bytes ?? (d.approxBytes !== undefined ? 2 * d.approxBytes : DEFAULT_MAX_DOWNLOAD);
}

/** How a download is checked: the strongest recorded evidence. */
export function checksumKind(d: Download): 'sha256' | 'sha1' | 'size' | 'none' {
  return d.sha256 ? 'sha256' : d.sha1 ? 'sha1' : d.bytes !== undefined ? 'size' : 'none';
}
