// PLACEHOLDER until the engine lands: replaced by the real class.
import type { ClassSpec } from '../types';
export const vandermondeLike: ClassSpec = {
  name: 'vandermonde-like',
  aliases: ['v'],
  hasRank: true,
  paramCount: () => NaN,
  create: () => {
    throw new Error('vandermonde-like: not implemented yet');
  },
};
