// Checks the schema cannot express: the class and the dataset exist, and the rank fits the layer.
// They read the raw YAML values (defensively: a value the schema rejects is skipped here), so one
// run reports schema and semantic problems together. config/ sits above data/ and structured/
// (it names their datasets and classes); neither imports config/.
import { CATALOG, findDataset } from '../data/catalog';
import { CORPORA, findCorpus } from '../data/corpus/catalog';
import { inputSize } from '../data/shape';
import { CLASSES, CLASS_NAMES, findClass } from '../structured/registry';
import { valueAt } from './issues';
import { DEFAULT_BATCH_SIZE, PARALLEL_BACKENDS } from './schema';
import { didYouMean } from './nearest';
import { showValue, type ConfigSource, type Problem } from './source';

export function checkExperiment(data: unknown, source: ConfigSource): Problem[] {
  const problems: Problem[] = [];
  const add = (path: string[], message: string): void => {
    const { where, offset } = source.locate(path);
    problems.push({ where, offset, field: path.join('.'), message });
  };

  const className = valueAt(data, ['model', 'layer', 'class']);
  const spec = typeof className === 'string' ? findClass(className) : undefined;
  if (typeof className === 'string' && !spec) {
    const names = CLASSES.map((c) => c.name).join(', ');
    const aliases = CLASSES.flatMap((c) => c.aliases).join(', ');
    add(['model', 'layer', 'class'], `expected one of ${names} (or an alias: ${aliases}), got ${showValue(className)}${didYouMean(className, CLASS_NAMES)}`);
  }

  checkWorkers(data, add);
  const datasetName = valueAt(data, ['dataset', 'name']);
  // The language model reads a text corpus, the image models an image set (src/data/corpus).
  if (valueAt(data, ['model', 'type']) === 'lstm') {
    checkLanguageModel(data, add);
    return problems;
  }
  if (valueAt(data, ['model', 'lstm']) !== undefined) add(['model', 'lstm'], 'only for model.type lstm; remove it or set model.type: lstm');
  const entry = typeof datasetName === 'string' ? findDataset(datasetName) : undefined;
  if (typeof datasetName === 'string' && !entry) {
    const names = CATALOG.map((d) => d.name);
    add(['dataset', 'name'], `expected one of ${names.join(', ')}, got ${showValue(datasetName)}${didYouMean(datasetName, names)}`);
  }

  // rank ≤ n: the displacement rank of an n×n matrix cannot exceed n.
  const rank = valueAt(data, ['model', 'layer', 'rank']) ?? 1;
  const pad32 = valueAt(data, ['dataset', 'pad32']) === true;
  if (spec?.hasRank && entry && typeof rank === 'number' && Number.isInteger(rank) && rank >= 1) {
    const n = inputSize(entry, pad32);
    if (rank > n) add(['model', 'layer', 'rank'], `expected an integer ≤ n = ${n} (the input size of ${entry.name}${pad32 ? ', padded' : ''}), got ${rank}`);
  }
  return problems;
}

/** training.workers > 1 (data-parallel steps, src/train/parallel.ts): shl or cnn, on wasm or cpu, at most one thread per batch row. */
function checkWorkers(data: unknown, add: (path: string[], message: string) => void): void {
  const workers = valueAt(data, ['training', 'workers']);
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers <= 1) return;
  const where = ['training', 'workers'];
  const backend = valueAt(data, ['backend']);
  const batch = valueAt(data, ['training', 'batch_size']) ?? DEFAULT_BATCH_SIZE;
  if (valueAt(data, ['model', 'type']) === 'lstm') {
    add(where, `expected 1 or "auto" for model.type lstm (it carries its hidden state from window to window, on one thread), got ${workers}`);
  } else if (typeof backend === 'string' && backend !== 'auto' && !PARALLEL_BACKENDS.includes(backend)) {
    add(where, `expected 1 or "auto" for backend ${backend} (data-parallel steps run on backend wasm or cpu), got ${workers}`);
  } else if (typeof batch === 'number' && workers > batch) {
    add(where, `expected at most training.batch_size = ${batch} threads (one row each at least), got ${workers}`);
  }
}

/** model.type lstm: the dataset must be a corpus, and the rank must fit the 4h×4h input-to-hidden matrix. */
function checkLanguageModel(data: unknown, add: (path: string[], message: string) => void): void {
  const name = valueAt(data, ['dataset', 'name']);
  if (typeof name === 'string' && !findCorpus(name)) {
    const names = CORPORA.map((c) => c.name);
    add(['dataset', 'name'], `expected a text corpus for model.type lstm (one of ${names.join(', ')}), got ${showValue(name)}${didYouMean(name, names)}`);
  }
  const className = valueAt(data, ['model', 'layer', 'class']);
  const spec = typeof className === 'string' ? findClass(className) : undefined;
  const rank = valueAt(data, ['model', 'layer', 'rank']) ?? 1;
  const hidden = valueAt(data, ['model', 'lstm', 'hidden']) ?? 128;
  if (spec?.hasRank && typeof rank === 'number' && typeof hidden === 'number' && Number.isInteger(hidden) && rank > 4 * hidden) {
    add(['model', 'layer', 'rank'], `expected an integer ≤ 4h = ${4 * hidden} (the input-to-hidden matrix is 4h×4h), got ${rank}`);
  }
}
