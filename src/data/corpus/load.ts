// loadCorpus: the token streams of a language-model experiment (model.type lstm). Built-in
// `tiny-grammar` is generated; `ptb` and `wikitext-2` are read from `<dataset.path>/<name>/`
// (put there by `ldr data fetch`; WikiText-2 also as the reference's train.txt / valid.txt /
// test.txt). `train_frac` < 1 keeps only the start of the training stream.
import * as fs from 'fs';
import * as path from 'path';
import type { DatasetConfig } from '../schema';
import { UserError } from '../../util/errors';
import { CORPORA, findCorpus } from './catalog';
import { grammarTexts } from './grammar';
import { tokenize, Vocabulary } from './vocab';

export interface Corpus {
  name: string;
  vocab: Vocabulary;
  train: Int32Array;
  valid: Int32Array;
  test: Int32Array;
}

export function loadCorpus(cfg: Pick<DatasetConfig, 'name' | 'path' | 'train_frac'>): Corpus {
  const entry = findCorpus(cfg.name);
  if (!entry) throw new UserError(`unknown corpus ${JSON.stringify(cfg.name)}; expected one of ${CORPORA.map((c) => c.name).join(', ')}`);
  let texts: { train: string; valid: string; test: string };
  if (entry.builtin) texts = grammarTexts();
  else {
    const dir = path.join(cfg.path, entry.name);
    const files = entry.altFiles && !fs.existsSync(path.join(dir, entry.files[0]!)) && fs.existsSync(path.join(dir, entry.altFiles[0])) ? entry.altFiles : entry.files;
    const [train, valid, test] = files.map((f) => readText(path.join(dir, f), entry.name));
    texts = { train, valid, test };
  }
  // Ids in order of first appearance over train, valid, test (as the reference's Dictionary).
  const vocab = new Vocabulary();
  let train = tokenize(texts.train, vocab);
  const valid = tokenize(texts.valid, vocab);
  const test = tokenize(texts.test, vocab);
  if (cfg.train_frac < 1) train = train.slice(0, Math.max(2, Math.floor(train.length * cfg.train_frac)));
  return { name: entry.name, vocab, train, valid, test };
}

function readText(file: string, name: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${file}: not found; fetch the corpus with \`ldr data fetch ${name}\` (or set dataset.path)`);
    throw new UserError(`${file}: cannot read (${(err as Error).message})`);
  }
}
