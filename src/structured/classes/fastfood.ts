// PLACEHOLDER until the engine lands: replaced by the real class.
import type { ClassSpec } from '../types';
export const fastfood: ClassSpec = {
  name: 'fastfood',
  aliases: ['f'],
  hasRank: true,
  paramCount: () => NaN,
  create: () => {
    throw new Error('fastfood: not implemented yet');
  },
};
