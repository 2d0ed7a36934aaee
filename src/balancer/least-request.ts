// balancer: least-request, by power of two choices over in-flight attempts per unit of weight.
import { defineBalancer, pickTwoChoices } from './balancer.js';

export const leastRequest = defineBalancer({
  name: 'least-request',
  options: {},
  create(_options, { random }) {
    const cost = (e: { pending: number; weight: number }) => (e.pending + 1) / e.weight;
    return {
      picker: (list) => ({ pick: (context) => pickTwoChoices(list, context, random, cost) }),
    };
  },
});
