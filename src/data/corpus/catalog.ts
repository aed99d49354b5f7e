// The text corpora of the LSTM language model (model.type: lstm), by name, with the files their
// loader reads from `<dataset.path>/<name>/` (put there by `ldr data fetch ptb | wikitext-2`).

export interface CorpusEntry {
  name: string;
  /** Generated on the fly from a seeded grammar: no files, no download. */
  builtin: boolean;
  description: string;
  /** train, valid, test files (relative to `<dataset.path>/<name>/`); empty for built-in corpora. */
  files: [string, string, string] | [];
  /** Another accepted layout of the same files, read when the first train file is absent. */
  altFiles?: [string, string, string];
}

export const CORPORA: readonly CorpusEntry[] = [
  {
    name: 'tiny-grammar',
    builtin: true,
    description: 'Built-in: sentences from a small seeded grammar (~60-word vocabulary), for quickstarts and tests',
    files: [],
  },
  {
    name: 'ptb',
    builtin: false,
    description: "Penn Treebank, Mikolov's preprocessing (10k vocabulary, <unk>, <eos> at each line end)",
    files: ['ptb.train.txt', 'ptb.valid.txt', 'ptb.test.txt'],
  },
  {
    name: 'wikitext-2',
    builtin: false,
    description: 'WikiText-2 (Merity et al. 2016), tokenised, <eos> at each line end',
    files: ['wiki.train.tokens', 'wiki.valid.tokens', 'wiki.test.tokens'],
    // The reference's copy (structured-nets pytorch/examples/word_language_model/data/wikitext-2/).
    altFiles: ['train.txt', 'valid.txt', 'test.txt'],
  },
];

export function findCorpus(name: string): CorpusEntry | undefined {
  return CORPORA.find((c) => c.name === name);
}
