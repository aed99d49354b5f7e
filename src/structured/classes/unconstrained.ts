// PLACEHOLDER until the engine lands: replaced by the real class.
import type { ClassSpec } from '../types';
export const unconstrained: ClassSpec = {
  name: 'unconstrained',
  aliases: ['u'],
  hasRank: true,
  paramCount: () => NaN,
  create: () => {
    throw new Error('unconstrained: not implemented yet');
  },
};
