// Versions recorded in env.json next to the backend.
import * as tf from '@tensorflow/tfjs';

export interface RuntimeVersions {
  tfjsVersion: string;
  nodeVersion: string;
}

export function runtimeVersions(): RuntimeVersions {
  return { tfjsVersion: tf.version.tfjs, nodeVersion: process.versions.node };
}
