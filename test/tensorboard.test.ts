// TensorBoard event files, read back with an independent decoder (test/support/tfevents.ts):
// record framing, masked CRC-32C of length and data, and the Event / Summary protobuf fields.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { tensorboardEvents, tensorboardFile, writeTensorboard } from '../src/runs/tensorboard';
import type { EpochMetrics } from '../src/runs/types';
import { crc32cBitwise, decodeEvent, readRecords } from './support/tfevents';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ldr-tb-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const metrics: EpochMetrics[] = [
  { epoch: 1, trainLoss: 2.25, trainAcc: 0.3, valLoss: null, valAcc: null, lr: 0.01, seconds: 1.5, step: 136, time: '2026-12-07T10:00:01.500Z' },
  { epoch: 2, trainLoss: 1.123456789, trainAcc: 0.61, valLoss: 1.4, valAcc: 0.55, lr: 0.005, seconds: 1.25, step: 272, time: '2026-12-07T10:00:02.750Z' },
];

describe('TensorBoard event files', () => {
  it('the test decoder checks CRC-32C against its standard check value', () => {
    expect(crc32cBitwise(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('file_version first, then one event per epoch at its global step and time with its scalars', () => {
    const runDir = path.join(tmp, 'run');
    writeTensorboard(runDir, metrics, Date.parse('2026-12-07T10:00:00Z'));
    const events = readRecords(fs.readFileSync(tensorboardFile(runDir))).map(decodeEvent);
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({ fileVersion: 'brain.Event:2', step: 0, wallTime: Date.parse('2026-12-07T10:00:00Z') / 1000 });
    expect(events[1].step).toBe(136);
    expect(events[1].wallTime).toBe(Date.parse('2026-12-07T10:00:01.500Z') / 1000);
    // simple_value is a float32: compare with the float32 of each number; an epoch without validation has no val scalars.
    expect(events[1].scalars).toEqual({ 'loss/train': 2.25, 'accuracy/train': Math.fround(0.3), lr: Math.fround(0.01), seconds_per_epoch: 1.5, epoch: 1 });
    expect(events[2].step).toBe(272);
    expect(events[2].scalars).toEqual({
      'loss/train': Math.fround(1.123456789), 'loss/val': Math.fround(1.4), 'accuracy/train': Math.fround(0.61), 'accuracy/val': Math.fround(0.55),
      lr: Math.fround(0.005), seconds_per_epoch: 1.25, epoch: 2,
    });
  });

  it('a flipped bit anywhere is caught by the CRCs', () => {
    const bytes = tensorboardEvents(metrics, 0);
    for (const at of [3, 9, 20, bytes.length - 2]) {
      const bad = Buffer.from(bytes);
      bad[at] ^= 0x10;
      expect(() => readRecords(bad)).toThrow(/CRC mismatch|torn/);
    }
  });
});
