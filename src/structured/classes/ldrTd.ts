// PLACEHOLDER until the engine lands: replaced by the real class.
import type { ClassSpec } from '../types';
export const ldrTd: ClassSpec = {
  name: 'ldr-td', aliases: ['td'], hasRank: true, paramCount: () => NaN,
  create: () => { throw new Error('ldr-td: not implemented yet'); },
};
export const ldrTdCorner: ClassSpec = {
  name: 'ldr-td-corner', aliases: ['tdc'], hasRank: true, paramCount: () => NaN,
  create: () => { throw new Error('ldr-td-corner: not implemented yet'); },
};
