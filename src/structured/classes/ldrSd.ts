// PLACEHOLDER until the engine lands: replaced by the real class.
import type { ClassSpec } from '../types';
export const ldrSd: ClassSpec = {
  name: 'ldr-sd', aliases: ['sd'], hasRank: true, paramCount: () => NaN,
  create: () => { throw new Error('ldr-sd: not implemented yet'); },
};
export const ldrSdCorner: ClassSpec = {
  name: 'ldr-sd-corner', aliases: ['sdc'], hasRank: true, paramCount: () => NaN,
  create: () => { throw new Error('ldr-sd-corner: not implemented yet'); },
};
