// Config checks for model.type lstm (called from src/config/semantic.ts): the dataset must be a
// corpus, and the rank must fit the 4h×4h input-to-hidden matrix.
import { valueAt } from '../../config/issues';
import { didYouMean } from '../../config/nearest';
import { showValue } from '../../config/source';
import { findClass } from '../../structured/registry';
import { CORPORA, findCorpus } from './catalog';

export function checkLanguageModel(data: unknown, add: (path: string[], message: string) => void): void {
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
