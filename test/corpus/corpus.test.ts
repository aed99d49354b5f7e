// Corpora of the language model (src/data/corpus): tokenisation as the reference's (<eos> after
// every line, ids in order of first appearance over train, valid, test), the built-in grammar is
// deterministic, PTB-style files load from <path>/<name>/, a missing file is a UserError naming
// it and the fetch command; BPTT batching (src/train/lm.ts) lays streams out as the reference.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { grammarTexts } from '../../src/data/corpus/grammar';
import { loadCorpus } from '../../src/data/corpus/load';
import { EOS, tokenize, Vocabulary } from '../../src/data/corpus/vocab';
import { batchify, windows } from '../../src/train/lm';
import { UserError } from '../../src/util/errors';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-corpus-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('corpus', () => {
  it('tokenize: words split on whitespace, <eos> after every line including empty ones, ids by first appearance', () => {
    const v = new Vocabulary();
    const ids = tokenize(' a b  a\n\nc a\n', v);
    expect(v.words).toEqual(['a', 'b', EOS, 'c']);
    expect(Array.from(ids)).toEqual([0, 1, 0, 2, 2, 3, 0, 2]);
    // No final newline: the last line still ends with <eos>.
    expect(Array.from(tokenize('c', v))).toEqual([3, 2]);
  });

  it('the built-in tiny-grammar corpus is the same on every call, with a small vocabulary', () => {
    const a = loadCorpus({ name: 'tiny-grammar', path: tmp, train_frac: 1 });
    const b = loadCorpus({ name: 'tiny-grammar', path: tmp, train_frac: 1 });
    expect(Array.from(a.train)).toEqual(Array.from(b.train));
    expect(a.vocab.words).toEqual(b.vocab.words);
    expect(a.vocab.size).toBeGreaterThan(40);
    expect(a.vocab.size).toBeLessThan(80);
    expect(a.train.length).toBeGreaterThan(10000);
    expect(a.valid.length).toBeGreaterThan(1000);
    expect(grammarTexts().train.split('\n')[0]).toMatch(/^[a-z ]+$/);
    const half = loadCorpus({ name: 'tiny-grammar', path: tmp, train_frac: 0.5 });
    expect(half.train.length).toBe(Math.floor(a.train.length * 0.5));
  });

  it('reads ptb.{train,valid,test}.txt from <path>/ptb/, and names the missing file and the fetch command', () => {
    const dir = path.join(tmp, 'ptb');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'ptb.train.txt'), ' the cat <unk> \n the dog \n');
    fs.writeFileSync(path.join(dir, 'ptb.valid.txt'), ' a cat \n');
    expect(() => loadCorpus({ name: 'ptb', path: tmp, train_frac: 1 })).toThrow(UserError);
    expect(() => loadCorpus({ name: 'ptb', path: tmp, train_frac: 1 })).toThrow(/ptb\.test\.txt: not found.*ldr data fetch ptb/);
    fs.writeFileSync(path.join(dir, 'ptb.test.txt'), ' the bird \n');
    const c = loadCorpus({ name: 'ptb', path: tmp, train_frac: 1 });
    expect(c.vocab.words).toEqual(['the', 'cat', '<unk>', EOS, 'dog', 'a', 'bird']);
    expect(Array.from(c.train)).toEqual([0, 1, 2, 3, 0, 4, 3]);
    expect(Array.from(c.test)).toEqual([0, 6, 3]);
  });

  it('reads WikiText-2 as fetched (wiki.*.tokens) or in the reference\'s layout (train.txt, valid.txt, test.txt), blank lines as <eos>', () => {
    const text = { train: ' = Title = \n\n the cat , sat \n', valid: ' the dog \n', test: '\n a cat \n' };
    const fetched = path.join(tmp, 'fetched');
    const reference = path.join(tmp, 'reference');
    fs.mkdirSync(path.join(fetched, 'wikitext-2'), { recursive: true });
    fs.mkdirSync(path.join(reference, 'wikitext-2'), { recursive: true });
    for (const split of ['train', 'valid', 'test'] as const) {
      fs.writeFileSync(path.join(fetched, 'wikitext-2', `wiki.${split}.tokens`), text[split]);
      fs.writeFileSync(path.join(reference, 'wikitext-2', `${split}.txt`), text[split]);
    }
    const a = loadCorpus({ name: 'wikitext-2', path: fetched, train_frac: 1 });
    const b = loadCorpus({ name: 'wikitext-2', path: reference, train_frac: 1 });
    expect(a.vocab.words).toEqual(['=', 'Title', EOS, 'the', 'cat', ',', 'sat', 'dog', 'a']);
    expect(Array.from(a.train)).toEqual([0, 1, 0, 2, 2, 3, 4, 5, 6, 2]);
    expect(Array.from(a.test)).toEqual([2, 8, 4, 2]);
    expect(b.vocab.words).toEqual(a.vocab.words);
    for (const split of ['train', 'valid', 'test'] as const) expect(Array.from(b[split])).toEqual(Array.from(a[split]));
    // Neither layout: the error names the fetched layout's file.
    expect(() => loadCorpus({ name: 'wikitext-2', path: path.join(tmp, 'none'), train_frac: 1 })).toThrow(/wiki\.train\.tokens: not found/);
  });

  it('batchify: B contiguous streams side by side (row i, column b = token b·rows + i); windows cover rows with targets one ahead', () => {
    const tokens = Int32Array.from({ length: 23 }, (_, i) => i);
    const { data, rows } = batchify(tokens, 4);
    expect(rows).toBe(5);
    expect(Array.from(data.subarray(0, 4))).toEqual([0, 5, 10, 15]);
    expect(Array.from(data.subarray(4, 8))).toEqual([1, 6, 11, 16]);
    expect(windows(5, 3)).toEqual([{ start: 0, len: 3 }, { start: 3, len: 1 }]);
    expect(windows(7, 3)).toEqual([{ start: 0, len: 3 }, { start: 3, len: 3 }]);
  });
});
