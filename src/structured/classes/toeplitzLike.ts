// PLACEHOLDER until the engine lands: replaced by the real class.
import type { ClassSpec } from '../types';
export const toeplitzLike: ClassSpec = {
  name: 'toeplitz-like',
  aliases: ['t'],
  hasRank: true,
  paramCount: () => NaN,
  create: () => {
    throw new Error('toeplitz-like: not implemented yet');
  },
};
