// balancer: round-robin; smooth weighted round-robin (nginx's) when endpoint weights differ.
import { defineBalancer, isAvailable, type Picker, scanAvailable } from './balancer.js';

export const roundRobin = defineBalancer({
  name: 'round-robin',
  options: {},
  create(_options, { random }) {
    // The cursor outlives pickers, so a health change does not send a burst to the first endpoint.
    let cursor = (random() * 1024) | 0;
    return {
      picker(list): Picker {
        const weighted = list.some((e) => e.weight !== (list[0]?.weight ?? 1));
        if (!weighted) {
          return {
            pick(context) {
              const n = list.length;
              if (n === 0) return undefined;
              const endpoint = list[cursor++ % n];
              if (endpoint && isAvailable(endpoint) && !context.tried?.includes(endpoint)) return endpoint;
              return scanAvailable(list, context, random);
            },
          };
        }
        const current = list.map(() => 0);
        const total = list.reduce((sum, e) => sum + e.weight, 0);
        return {
          pick(context) {
            let best = -1;
            for (let i = 0; i < list.length; i++) {
              current[i] = (current[i] as number) + (list[i]?.weight ?? 0);
              if (best < 0 || (current[i] as number) > (current[best] as number)) best = i;
            }
            if (best < 0) return undefined;
            current[best] = (current[best] as number) - total;
            const endpoint = list[best];
            if (endpoint && isAvailable(endpoint) && !context.tried?.includes(endpoint)) return endpoint;
            return scanAvailable(list, context, random);
          },
        };
      },
    };
  },
});
