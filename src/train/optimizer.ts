// Our own SGD-with-momentum and Adam, so that every bit of optimizer state is ours to save
// in a checkpoint and restore exactly (TF.js optimizers hide theirs behind auto-named tensors).
//   sgd  (PyTorch semantics, dampening 0):  v ← μ·v + g;   p ← p − lr·v
//   adam (PyTorch defaults β = (0.9, 0.999), ε = 1e-8):
//        m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  p ← p − lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)
// On the cpu and wasm backends the sgd update runs as one fused pass per variable
// (backend/kernels/sgdMomentum.ts), bit-identical to the tensor ops below, which other backends use.
// Optional clipping of the global gradient norm, as torch.nn.utils.clip_grad_norm_:
//   g ← g · min(1, clip / (‖g‖ + 1e-6)).
import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig } from '../config/schema';
import type { OptimizerState } from '../runs/trainState';
import { registerSgdMomentumKernels, sgdMomentumFused } from '../backend';

export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
export const ADAM_EPS = 1e-8;

export interface Optimizer {
  /** Apply one update. `grads` is keyed like the variables; the caller keeps ownership of the gradients. */
  step(grads: Record<string, tf.Tensor>): void;
  /** Current learning rate (the trainer multiplies it by lr_decay after each epoch). */
  lr: number;
  /** Number of steps taken so far. */
  readonly steps: number;
  getState(): OptimizerState;
  /** The state's tensors (the trainer makes them host-readable before getState on webgpu). */
  stateTensors(): tf.Tensor[];
  setState(state: OptimizerState): void;
  dispose(): void;
}

/** tf.variableGrads keys gradients by the tensors' internal names; the optimizer, by the model's. */
export function gradsByName(vars: Record<string, tf.Variable>, grads: tf.NamedTensorMap): Record<string, tf.Tensor> {
  const byName: Record<string, tf.Tensor> = {};
  for (const [name, v] of Object.entries(vars)) byName[name] = grads[v.name];
  return byName;
}

type OptimizerSettings = Pick<OptimizerConfig, 'name' | 'lr'> & Partial<Pick<OptimizerConfig, 'momentum' | 'clip'>>;

export function createOptimizer(cfg: OptimizerSettings, vars: Record<string, tf.Variable>): Optimizer {
  const slotNames = cfg.name === 'adam' ? ['m', 'v'] : (cfg.momentum ?? 0.9) > 0 ? ['momentum'] : [];
  return new SlotOptimizer(cfg, vars, slotNames);
}

class SlotOptimizer implements Optimizer {
  lr: number;
  steps = 0;
  /** slot name → variable name → zero-initialised state tensor of the variable's shape. */
  private readonly slots: Record<string, Record<string, tf.Variable>> = {};

  constructor(
    private readonly cfg: OptimizerSettings,
    private readonly vars: Record<string, tf.Variable>,
    slotNames: string[],
  ) {
    this.lr = cfg.lr;
    registerSgdMomentumKernels();
    for (const slot of slotNames) {
      this.slots[slot] = {};
      for (const [name, v] of Object.entries(vars)) {
        // tidy: tf.variable keeps its own reference; the zeros tensor itself must not outlive this.
        this.slots[slot][name] = tf.tidy(() => tf.variable(tf.zerosLike(v), false));
      }
    }
  }

  step(grads: Record<string, tf.Tensor>): void {
    for (const name of Object.keys(this.vars)) {
      if (!grads[name]) throw new Error(`optimizer: no gradient for variable "${name}"`);
    }
    this.steps++;
    tf.tidy(() => {
      const clipped = this.clip(grads);
      const lr = tf.scalar(this.lr);
      for (const [name, p] of Object.entries(this.vars)) {
        const g = clipped[name];
        if (this.cfg.name === 'adam') this.adam(name, p, g, lr);
        else this.sgd(name, p, g, lr);
      }
    });
  }

  private sgd(name: string, p: tf.Variable, g: tf.Tensor, lr: tf.Scalar): void {
    const buf = this.slots.momentum?.[name];
    let update = g;
    const fused = buf ? sgdMomentumFused(p, buf, g, { lr: this.lr, momentum: this.cfg.momentum ?? 0.9, velocityInPlace: true }) : null;
    if (buf && fused) {
      buf.assign(fused[1]);
      p.assign(fused[0]);
      return;
    }
    if (buf) {
      update = tf.add(tf.mul(buf, this.cfg.momentum ?? 0.9), g);
      buf.assign(update);
    }
    p.assign(tf.sub(p, tf.mul(lr, update)));
  }

  private adam(name: string, p: tf.Variable, g: tf.Tensor, lr: tf.Scalar): void {
    const m = this.slots.m[name];
    const v = this.slots.v[name];
    const m1 = tf.add(tf.mul(m, ADAM_BETA1), tf.mul(g, 1 - ADAM_BETA1));
    const v1 = tf.add(tf.mul(v, ADAM_BETA2), tf.mul(tf.square(g), 1 - ADAM_BETA2));
    m.assign(m1);
    v.assign(v1);
    const mHat = tf.div(m1, 1 - ADAM_BETA1 ** this.steps);
    const vHat = tf.div(v1, 1 - ADAM_BETA2 ** this.steps);
    p.assign(tf.sub(p, tf.mul(lr, tf.div(mHat, tf.add(tf.sqrt(vHat), ADAM_EPS)))));
  }

  /** Scale all gradients together so that their global norm is at most `clip` (stays on device, no sync). */
  private clip(grads: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
    if (this.cfg.clip == null) return grads;
    const names = Object.keys(this.vars);
    const sumSq = tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))));
    const scale = tf.minimum(1, tf.div(this.cfg.clip, tf.add(tf.sqrt(sumSq), 1e-6)));
    const out: Record<string, tf.Tensor> = {};
    for (const n of names) out[n] = tf.mul(grads[n], scale);
    return out;
  }

  stateTensors(): tf.Tensor[] {
    return Object.values(this.slots).flatMap((byVar) => Object.values(byVar));
  }

  getState(): OptimizerState {
    const slots: Record<string, Float32Array> = {};
    for (const [slot, byVar] of Object.entries(this.slots)) {
      for (const [name, t] of Object.entries(byVar)) slots[`${slot}/${name}`] = new Float32Array(t.dataSync());
    }
    return { step: this.steps, slots };
  }

  setState(state: OptimizerState): void {
    const expected = Object.entries(this.slots).flatMap(([slot, byVar]) => Object.keys(byVar).map((n) => `${slot}/${n}`));
    const given = Object.keys(state.slots);
    const missing = expected.filter((k) => !(k in state.slots));
    const extra = given.filter((k) => !expected.includes(k));
    if (missing.length || extra.length) {
      throw new Error(`optimizer state does not match (missing: ${missing.join(', ') || '-'}; unexpected: ${extra.join(', ') || '-'})`);
    }
    for (const [slot, byVar] of Object.entries(this.slots)) {
      for (const [name, t] of Object.entries(byVar)) {
        const data = state.slots[`${slot}/${name}`];
        if (data.length !== t.size) throw new Error(`optimizer state ${slot}/${name}: ${data.length} values, expected ${t.size}`);
        tf.tidy(() => t.assign(tf.tensor(data, t.shape)));
      }
    }
    this.steps = state.step;
  }

  dispose(): void {
    for (const byVar of Object.values(this.slots)) for (const t of Object.values(byVar)) t.dispose();
  }
}
