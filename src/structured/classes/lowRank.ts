// PLACEHOLDER until the engine lands: replaced by the real class.
import type { ClassSpec } from '../types';
export const lowRank: ClassSpec = {
  name: 'low-rank',
  aliases: ['lr'],
  hasRank: true,
  paramCount: () => NaN,
  create: () => {
    throw new Error('low-rank: not implemented yet');
  },
};
