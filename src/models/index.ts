// The model factory: `model.type` of the experiment → a model the classifier trainer can train.
// The LSTM language model is trained by its own loop (src/train/lmRun.ts), not from here.
import type * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../config/schema';
import type { Dataset } from '../data/types';
import type { Rng } from '../util/random';
import { CnnModel } from './cnn';
import { ShlModel } from './shl';
import type { StructuredLayer } from './structuredLayer';

/** What `ldr train` needs from an image classifier (SHL or CNN). */
export interface ClassifierModel {
  readonly hidden: StructuredLayer;
  logits(x: tf.Tensor2D): tf.Tensor2D;
  variables(): Record<string, tf.Variable>;
  paramCounts(): { structured: number; total: number };
  dispose(): void;
}

export function createClassifier(cfg: ExperimentConfig, data: Dataset, rng: Rng): ClassifierModel {
  const layer = cfg.model.layer;
  const common = { classes: data.classes, className: layer.class, rank: layer.rank, bias: layer.bias, options: { operators: layer.operators }, rng };
  switch (cfg.model.type) {
    case 'shl':
      return new ShlModel({ n: data.features, ...common });
    case 'cnn':
      return new CnnModel({ imageShape: data.imageShape, ...common });
    default:
      throw new Error(`model.type ${cfg.model.type} is not an image classifier (the lstm is trained by src/train/lmRun.ts)`);
  }
}
