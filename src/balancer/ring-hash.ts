// balancer: ring-hash (consistent hashing, Karger et al.; Envoy's ring_hash): requests with the
// same header or cookie value go to the same endpoint while it is available, and a change in the
// endpoint set moves only about 1/n of the keys.
import { DEFAULTS } from '../config/defaults.js';
import { ringHashOptionsSchema } from '../config/schema.js';
import type { Endpoint } from '../discovery/endpoint.js';
import { defineBalancer, isAvailable, type PickContext, scanAvailable } from './balancer.js';
import { hash32 } from './hash.js';

/** The value of cookie `name` in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export const ringHash = defineBalancer({
  name: 'ring-hash',
  options: ringHashOptionsSchema,
  create(options, { random }) {
    const ringSize = options.ringSize ?? DEFAULTS.loadBalancer.ringSize;
    const hashOn = options.hashOn;
    const keyOf = (context: PickContext): string | undefined => {
      if (!hashOn) return undefined;
      if ('header' in hashOn) return context.header(hashOn.header.toLowerCase());
      return readCookie(context.header('cookie'), hashOn.cookie);
    };

    return {
      picker(list) {
        const totalWeight = list.reduce((sum, e) => sum + e.weight, 0);
        const points: { hash: number; endpoint: Endpoint }[] = [];
        for (const endpoint of list) {
          const replicas = Math.max(1, Math.round((ringSize * endpoint.weight) / Math.max(1, totalWeight)));
          for (let i = 0; i < replicas; i++) points.push({ hash: hash32(`${endpoint.id}_${i}`), endpoint });
        }
        points.sort((a, b) => a.hash - b.hash);
        const hashes = Uint32Array.from(points, (p) => p.hash);

        return {
          pick(context) {
            if (list.length === 0) return undefined;
            const key = keyOf(context);
            if (key === undefined) return scanAvailable(list, context, random);
            const h = hash32(key);
            let lo = 0;
            let hi = hashes.length;
            while (lo < hi) {
              const mid = (lo + hi) >>> 1;
              if ((hashes[mid] as number) < h) lo = mid + 1;
              else hi = mid;
            }
            // Walk clockwise to the first available endpoint not tried by this call.
            let fallback: Endpoint | undefined;
            for (let i = 0; i < points.length; i++) {
              const endpoint = (points[(lo + i) % points.length] as { endpoint: Endpoint }).endpoint;
              if (!isAvailable(endpoint)) continue;
              if (!context.tried?.includes(endpoint)) return endpoint;
              fallback ??= endpoint;
            }
            return fallback;
          },
        };
      },
    };
  },
});
