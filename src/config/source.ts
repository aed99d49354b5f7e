// A YAML config file parsed with node positions, so every problem can be reported as
// `file:line:col`. Values given with `--set` have no position: they are reported as `--set a.b`.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';

export type FieldPath = readonly (string | number)[];

/** One thing wrong with a config; `where` is `file:line:col` or `--set a.b`. */
export interface Problem {
  where: string;
  /** Dotted field path, or "(top level)". */
  field: string;
  message: string;
  /** Sort key: position in the file (problems from --set come last). */
  offset: number;
}

export function formatProblem(p: Problem): string {
  // `--set a.b: …` rather than `--set a.b a.b: …` when the override itself is the field.
  if (p.where === `--set ${p.field}`) return `${p.where}: ${p.message}`;
  return `${p.where} ${p.field}: ${p.message}`;
}

export function dotted(path: FieldPath): string {
  return path.length ? path.join('.') : '(top level)';
}

/** Renders a config value for "got …": strings quoted, collections by kind. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/** Offsets of keys that repeat an earlier key of the same mapping (scalar keys), in document order. */
function duplicateKeys(root: Node | null): number[] {
  const out: number[] = [];
  const stack: (Node | null)[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (isScalar(pair.key)) {
          if (seen.has(key)) out.push((pair.key as Node).range?.[0] ?? 0);
          seen.add(key);
        }
        stack.push(pair.value as Node | null);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item as Node | null);
    }
  }
  return out.sort((a, b) => a - b);
}

export class ConfigSource {
  readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();
  /** Paths overridden with --set (dotted), most recent last. */
  readonly setPaths: string[] = [];
  /** YAML syntax errors, already as problems. */
  readonly syntaxProblems: Problem[] = [];

  constructor(
    readonly text: string,
    readonly file: string,
  ) {
    // yaml's own uniqueKeys check is quadratic in the keys of a mapping (80,000 keys: minutes);
    // duplicateKeys() below does the same in linear time.
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: false });
    for (const err of this.doc.errors) {
      const offset = err.pos[0];
      // yaml's messages can span lines (context frames); keep the first, which says what is wrong.
      const message = err.message.split('\n')[0].replace(/\s*at line \d+, column \d+.*$/, '');
      this.syntaxProblems.push({ where: this.at(offset), field: 'YAML syntax', message, offset });
    }
    if (!this.syntaxProblems.length) {
      for (const offset of duplicateKeys(this.doc.contents as Node | null)) {
        this.syntaxProblems.push({ where: this.at(offset), field: 'YAML syntax', message: 'Map keys must be unique', offset });
      }
    }
  }

  /** A copy whose document can be changed independently (positions and file stay). */
  clone(): ConfigSource {
    const copy = Object.create(ConfigSource.prototype) as ConfigSource;
    Object.assign(copy, this, { doc: this.doc.clone(), setPaths: [...this.setPaths], syntaxProblems: [...this.syntaxProblems] });
    return copy;
  }

  /**
   * The plain JS value of the document, or a UserError-worthy message: an alias bomb ("billion
   * laughs") makes yaml refuse to expand it.
   */
  toJSChecked(): { ok: true; value: unknown } | { ok: false; message: string } {
    try {
      return { ok: true, value: this.doc.toJS() };
    } catch (err) {
      return { ok: false, message: (err as Error).message.split('\n')[0] };
    }
  }

  /** The plain JS value of the document (null for an empty file). */
  toJS(): unknown {
    return this.doc.toJS();
  }

  /** `file:line:col` of a character offset. */
  at(offset: number): string {
    const { line, col } = this.lines.linePos(offset);
    return `${this.file}:${line}:${col}`;
  }

  /** The `--set` path that produced `path` (it, or an ancestor), if any. */
  setPathFor(path: FieldPath): string | undefined {
    const d = path.join('.');
    for (let i = this.setPaths.length - 1; i >= 0; i--) {
      const s = this.setPaths[i];
      if (d === s || d.startsWith(s + '.')) return s;
    }
    return undefined;
  }

  /**
   * Where to point for a problem at `path`: the value's node ('value'), the key's node ('key'),
   * or, when the field is missing, the nearest existing ancestor's key (the root: its first node).
   */
  locate(path: FieldPath, target: 'value' | 'key' = 'value'): { where: string; offset: number } {
    const fromSet = this.setPathFor(path);
    if (fromSet !== undefined) return { where: `--set ${fromSet}`, offset: Number.MAX_SAFE_INTEGER };
    for (let len = path.length; len >= 0; len--) {
      const found = this.find(path.slice(0, len));
      if (!found) continue;
      // A missing field is reported at its parent's key (`layer:`), which is where it belongs.
      // So is an empty value (`layer:` with nothing after it): it has no node of its own.
      const empty = !found.node || (isScalar(found.node) && found.node.value === null && found.node.range?.[0] === found.node.range?.[1]);
      const wantKey = target === 'key' || len < path.length || empty;
      const node = wantKey && found.pair ? (found.pair.key as Node | null) : found.node;
      const offset = node?.range?.[0] ?? found.node?.range?.[0];
      if (offset !== undefined) return { where: this.at(offset), offset };
    }
    return { where: `${this.file}:1:1`, offset: 0 };
  }

  /** The node at `path` and the pair holding it (none for the root), or undefined if absent. */
  private find(path: FieldPath): { node: Node | null; pair?: Pair } | undefined {
    let node = this.doc.contents as Node | null;
    let pair: Pair | undefined;
    for (const key of path) {
      if (isMap(node)) {
        pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key) as Pair | undefined;
        if (!pair) return undefined;
        node = pair.value as Node | null;
      } else if (isSeq(node) && typeof key === 'number') {
        node = (node.items[key] as Node | undefined) ?? null;
        pair = undefined;
        if (!node) return undefined;
      } else {
        return undefined;
      }
    }
    return { node, pair };
  }
}
