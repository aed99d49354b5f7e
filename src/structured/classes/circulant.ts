// PLACEHOLDER until the engine lands: replaced by the real class.
import type { ClassSpec } from '../types';
export const circulant: ClassSpec = {
  name: 'circulant',
  aliases: ['c'],
  hasRank: true,
  paramCount: () => NaN,
  create: () => {
    throw new Error('circulant: not implemented yet');
  },
};
