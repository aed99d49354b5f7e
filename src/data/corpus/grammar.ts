// The built-in corpus `tiny-grammar`: sentences from a small seeded grammar (no download), for the
// quickstart and the tests. Subjects agree with verbs in number and verbs take objects by kind,
// so a language model can do much better than the vocabulary size (≈60) — but not perfectly.
import { Rng } from '../../util/random';

const DET = ['the', 'a', 'every', 'this'];
const ADJ = ['small', 'red', 'old', 'quiet', 'happy', 'green'];
const NOUN_SG = ['dog', 'cat', 'bird', 'child', 'farmer', 'teacher', 'horse', 'robot'];
const NOUN_PL = ['dogs', 'cats', 'birds', 'children', 'farmers', 'teachers', 'horses', 'robots'];
const THING = ['ball', 'apple', 'book', 'letter', 'song', 'stone'];
const VERB_T_SG = ['sees', 'likes', 'finds', 'wants', 'reads'];
const VERB_T_PL = ['see', 'like', 'find', 'want', 'read'];
const VERB_I_SG = ['sleeps', 'runs', 'sings'];
const VERB_I_PL = ['sleep', 'run', 'sing'];
const PREP = ['near', 'under', 'behind'];
const PLACE = ['house', 'tree', 'river', 'barn'];

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

function nounPhrase(rng: Rng, plural: boolean, nouns: readonly string[]): string[] {
  const out = plural ? (rng.next() < 0.5 ? ['the'] : ['some']) : [pick(rng, DET)];
  if (rng.next() < 0.4) out.push(pick(rng, ADJ));
  out.push(pick(rng, nouns));
  return out;
}

/** One sentence: subject (number n) → verb agreeing in n → object or place phrase. */
export function sentence(rng: Rng): string[] {
  const plural = rng.next() < 0.4;
  const words = nounPhrase(rng, plural, plural ? NOUN_PL : NOUN_SG);
  if (rng.next() < 0.6) {
    const k = rng.int(VERB_T_SG.length);
    words.push(plural ? VERB_T_PL[k] : VERB_T_SG[k]);
    words.push(...nounPhrase(rng, false, rng.next() < 0.5 ? THING : NOUN_SG));
  } else {
    const k = rng.int(VERB_I_SG.length);
    words.push(plural ? VERB_I_PL[k] : VERB_I_SG[k]);
    if (rng.next() < 0.5) words.push(pick(rng, PREP), 'the', pick(rng, PLACE));
  }
  return words;
}

/** `count` sentences, one per line (the file format of PTB). */
export function generateText(rng: Rng, count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(sentence(rng).join(' '));
  return lines.join('\n') + '\n';
}

/** Sentences per split: about 17k / 1.7k / 1.7k tokens (≈ 6.8 tokens per sentence incl. <eos>). */
export const GRAMMAR_SENTENCES = { train: 2500, valid: 250, test: 250 } as const;
export const GRAMMAR_SEED = 20181004;

export function grammarTexts(): { train: string; valid: string; test: string } {
  const rng = new Rng(GRAMMAR_SEED);
  return {
    train: generateText(rng.fork(), GRAMMAR_SENTENCES.train),
    valid: generateText(rng.fork(), GRAMMAR_SENTENCES.valid),
    test: generateText(rng.fork(), GRAMMAR_SENTENCES.test),
  };
}
