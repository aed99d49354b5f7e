// Word ↔ id, as the reference's (PyTorch word_language_model) Dictionary: ids in order of first
// appearance over train, then valid, then test; every line ends with `<eos>`.

export const EOS = '<eos>';

export class Vocabulary {
  readonly words: string[] = [];
  private readonly ids = new Map<string, number>();

  get size(): number {
    return this.words.length;
  }

  /** The id of `word`, adding it if new. */
  add(word: string): number {
    let id = this.ids.get(word);
    if (id === undefined) {
      id = this.words.length;
      this.words.push(word);
      this.ids.set(word, id);
    }
    return id;
  }

  idOf(word: string): number | undefined {
    return this.ids.get(word);
  }
}

/** Token ids of a text: whitespace-separated words, `<eos>` after every line (empty lines too). */
export function tokenize(text: string, vocab: Vocabulary): Int32Array {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop(); // the file's final newline
  const ids: number[] = [];
  for (const line of lines) {
    for (const w of line.split(/\s+/)) if (w) ids.push(vocab.add(w));
    ids.push(vocab.add(EOS));
  }
  return Int32Array.from(ids);
}
