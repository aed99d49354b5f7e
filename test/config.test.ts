// Config loading: every bad config gives exactly the expected one-line-per-problem message.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadExperiment, loadExperimentFromString } from '../src/config/load';
import { canonicalConfigJson, renderConfigYaml } from '../src/config/print';
import { experimentSchema } from '../src/config/schema';
import { UserError } from '../src/util/errors';

const GOOD = `name: quick
dataset:
  name: digits-bg-rot
model:
  layer:
    class: sd
    rank: 1
`;

/** The UserError message loading `text` produces (fails the test if loading succeeds). */
function errorOf(text: string, sets: string[] = []): string {
  try {
    loadExperimentFromString(text, 'x.yaml', sets);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('valid configs', () => {
  it('fills every default of docs/method.md §5 and canonicalises the class alias', () => {
    const cfg = loadExperimentFromString(GOOD, 'x.yaml');
    expect(cfg.model.layer.class).toBe('ldr-sd');
    expect(cfg.dataset).toEqual({ name: 'digits-bg-rot', path: 'datasets', pad32: false, val_frac: 0.15, train_frac: 1 });
    expect(cfg.optimizer).toEqual({ name: 'sgd', lr: 0.01, momentum: 0.9, lr_decay: 1, clip: null });
    expect(cfg.training.batch_size).toBe(50);
  });

  it('applies --set with values typed by YAML, creating missing sections', () => {
    const cfg = loadExperimentFromString(GOOD, 'x.yaml', ['model.layer.rank=4', 'optimizer.lr=0.05', 'dataset.pad32=true', 'model.layer.class=td']);
    expect(cfg.model.layer.rank).toBe(4);
    expect(cfg.optimizer.lr).toBe(0.05);
    expect(cfg.dataset.pad32).toBe(true);
    expect(cfg.model.layer.class).toBe('ldr-td');
  });

  it('reads a file; a missing file is a one-line UserError', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-config-'));
    const file = path.join(dir, 'exp.yaml');
    fs.writeFileSync(file, GOOD);
    expect(loadExperiment(file).name).toBe('quick');
    expect(() => loadExperiment(path.join(dir, 'nope.yaml'))).toThrow(`${path.join(dir, 'nope.yaml')}: cannot read the config file (no such file)`);
    fs.rmSync(dir, { recursive: true });
  });

  it('prints the resolved config as YAML that loads back to the same config', () => {
    const cfg = loadExperimentFromString(GOOD, 'x.yaml');
    const printed = renderConfigYaml(cfg);
    expect(printed).toContain('class: ldr-sd');
    expect(experimentSchema.parse(parse(printed))).toEqual(cfg);
  });

  it('serialises canonically: sorted keys, independent of YAML key order', () => {
    const a = loadExperimentFromString(GOOD, 'x.yaml');
    const reordered = `model:\n  layer:\n    rank: 1\n    class: ldr-sd\ndataset:\n  name: digits-bg-rot\nname: quick\n`;
    const b = loadExperimentFromString(reordered, 'y.yaml');
    expect(canonicalConfigJson(a)).toBe(canonicalConfigJson(b));
    expect(canonicalConfigJson(a).startsWith('{"backend":"auto","dataset":{"name":"digits-bg-rot","pad32":false,')).toBe(true);
    expect(canonicalConfigJson({ ...a, training: { ...a.training, seed: 1 } })).not.toBe(canonicalConfigJson(a));
  });
});

describe('bad configs: one exact line per problem', () => {
  it('a rank that is not a number', () => {
    expect(errorOf(GOOD.replace('rank: 1', 'rank: four'))).toBe('x.yaml:7:11 model.layer.rank: expected an integer ≥ 1, got "four"');
  });

  it('a rank below 1 and a fractional rank', () => {
    expect(errorOf(GOOD.replace('rank: 1', 'rank: 0'))).toBe('x.yaml:7:11 model.layer.rank: expected an integer ≥ 1, got 0');
    expect(errorOf(GOOD.replace('rank: 1', 'rank: 1.5'))).toBe('x.yaml:7:11 model.layer.rank: expected an integer ≥ 1, got 1.5');
  });

  it('an unknown key, with the nearest valid key', () => {
    expect(errorOf(GOOD.replace('  name: digits-bg-rot', '  name: digits-bg-rot\n  pad_32: true'))).toBe(
      'x.yaml:4:3 dataset.pad_32: unknown key; did you mean pad32?',
    );
  });

  it('an unknown key with no near match lists the valid ones', () => {
    expect(errorOf(GOOD + 'colour: blue\n')).toBe(
      'x.yaml:8:1 colour: unknown key; expected one of name, dataset, model, optimizer, training, backend, output',
    );
  });

  it('a missing required field is reported at its parent', () => {
    expect(errorOf(GOOD.replace('    class: sd\n', ''))).toBe('x.yaml:5:3 model.layer.class: expected a string, got nothing');
  });

  it('an empty section is reported at its key', () => {
    expect(errorOf('name: a\ndataset:\n  name: digits-noise\nmodel:\n  layer:\n')).toBe('x.yaml:5:3 model.layer: expected a mapping, got null');
  });

  it('an unknown class lists the classes and aliases', () => {
    expect(errorOf(GOOD.replace('class: sd', 'class: toeplitz'))).toBe(
      'x.yaml:6:12 model.layer.class: expected one of unconstrained, low-rank, toeplitz-like, hankel-like, vandermonde-like, ' +
        'circulant, fastfood, ldr-sd, ldr-sd-corner, ldr-td, ldr-td-corner (or an alias: u, lr, t, h, v, c, f, sd, sdc, td, tdc), ' +
        'got "toeplitz" (did you mean toeplitz-like?)',
    );
  });

  it('an unknown dataset', () => {
    expect(errorOf(GOOD.replace('digits-bg-rot', 'mnist'))).toBe(
      'x.yaml:3:9 dataset.name: expected one of digits-bg-rot, digits-noise, mnist-bg-rot, mnist-noise, rectangles, cifar10, norb, got "mnist"',
    );
  });

  it('rank larger than n, with and without padding', () => {
    expect(errorOf(GOOD.replace('rank: 1', 'rank: 800'))).toBe(
      'x.yaml:7:11 model.layer.rank: expected an integer ≤ n = 784 (the input size of digits-bg-rot), got 800',
    );
    expect(loadExperimentFromString(GOOD.replace('rank: 1', 'rank: 800'), 'x.yaml', ['dataset.pad32=true']).model.layer.rank).toBe(800);
    // Classes without a rank ignore it.
    expect(loadExperimentFromString(GOOD.replace('rank: 1', 'rank: 800').replace('class: sd', 'class: circulant'), 'x.yaml').model.layer.rank).toBe(800);
  });

  it('YAML syntax errors, at the parser position', () => {
    expect(errorOf('name: a\n\tdataset: x\n')).toBe('x.yaml:2:1 YAML syntax: Tabs are not allowed as indentation');
    expect(errorOf('name: a\ndataset:\n  name: x\n   bad: 1\n')).toBe(
      'x.yaml:3:9 YAML syntax: Nested mappings are not allowed in compact mappings\n' +
        'x.yaml:3:9 YAML syntax: Implicit keys need to be on a single line',
    );
  });

  it('a duplicate key', () => {
    expect(errorOf(GOOD + 'name: again\n')).toBe('x.yaml:8:1 YAML syntax: Map keys must be unique');
  });

  it('an empty file', () => {
    expect(errorOf('')).toBe('x.yaml:1:1 (top level): expected a mapping, got nothing (the file is empty)');
  });

  it('several problems at once, in file order', () => {
    const text = `name: my run
dataset:
  name: digits-noise
  val_frac: 1.5
model:
  layer:
    class: t
optimizer:
  name: rmsprop
  lr: -0.1
  clip: yes
training:
  epochs: 0
backend: gpu
`;
    expect(errorOf(text)).toBe(
      [
        'x.yaml:1:7 name: expected letters, digits, ".", "_" or "-", got "my run"',
        'x.yaml:4:13 dataset.val_frac: expected a number > 0 and < 1, got 1.5',
        'x.yaml:9:9 optimizer.name: expected one of sgd, adam, got "rmsprop"',
        'x.yaml:10:7 optimizer.lr: expected a number > 0, got -0.1',
        'x.yaml:11:9 optimizer.clip: expected a number > 0 or null, got "yes"',
        'x.yaml:13:11 training.epochs: expected an integer ≥ 1, got 0',
        'x.yaml:14:10 backend: expected one of auto, tensorflow, webgpu, wasm, cpu, got "gpu"',
      ].join('\n'),
    );
  });

  it('a bad --set value names the override instead of a position', () => {
    expect(errorOf(GOOD, ['model.layer.rank=four'])).toBe('--set model.layer.rank: expected an integer ≥ 1, got "four"');
    expect(errorOf(GOOD, ['dataset.pad32=maybe'])).toBe('--set dataset.pad32: expected true or false, got "maybe"');
  });

  it('an unknown --set path, a malformed --set, and a path through a scalar', () => {
    expect(errorOf(GOOD, ['model.layer.rnak=4'])).toBe('--set model.layer.rnak: unknown field (did you mean model.layer.rank?)');
    expect(errorOf(GOOD, ['rank'])).toBe('--set rank: expected key=value (e.g. --set model.layer.rank=4), got "rank"');
    expect(errorOf(GOOD, ['name.first=a'])).toBe('--set name.first: unknown field (name has no fields)');
    expect(errorOf('name: a\ndataset: x\nmodel: {layer: {class: t}}\n', ['dataset.name=digits-noise'])).toBe(
      'x.yaml:2:10 dataset: expected a mapping, got "x"\n--set dataset.name: cannot set it: dataset is not a mapping in x.yaml',
    );
  });

  it('file problems come first, then --set problems', () => {
    expect(errorOf(GOOD.replace('rank: 1', 'rank: -2'), ['training.seed=-1'])).toBe(
      'x.yaml:7:11 model.layer.rank: expected an integer ≥ 1, got -2\n--set training.seed: expected an integer ≥ 0 and ≤ 4294967295, got -1',
    );
  });
});
