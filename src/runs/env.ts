// Where and with what a run was computed (env.json).
import { execFileSync } from 'child_process';
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import type { RunEnv } from './types';

/** HEAD of the git repository holding ldr itself, or null outside one. */
export function gitCommit(): string | null {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: __dirname,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    return out.toString().trim() || null;
  } catch {
    return null;
  }
}

export function collectEnv(backend: { name: string; reason: string }): RunEnv {
  return {
    backend: backend.name,
    backendReason: backend.reason,
    tfjsVersion: tf.version.tfjs,
    nodeVersion: process.version,
    ldrVersion: require('../../package.json').version,
    gitCommit: gitCommit(),
    host: os.hostname(),
    platform: `${process.platform}-${process.arch}`,
    startedAt: new Date().toISOString(),
  };
}
