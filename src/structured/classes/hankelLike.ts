// PLACEHOLDER until the engine lands: replaced by the real class.
import type { ClassSpec } from '../types';
export const hankelLike: ClassSpec = {
  name: 'hankel-like',
  aliases: ['h'],
  hasRank: true,
  paramCount: () => NaN,
  create: () => {
    throw new Error('hankel-like: not implemented yet');
  },
};
