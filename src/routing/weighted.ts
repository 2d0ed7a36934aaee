// routing: picking one destination of a route by weight (traffic splits such as 90/10).
import type { Random } from '../util/clock.js';

export interface Weighted {
  readonly weight: number;
}

/** Returns a picker over `items` in proportion to their weights; zero weights are never picked. */
export function weightedPicker<T extends Weighted>(items: readonly T[], random: Random): () => T {
  const live = items.filter((item) => item.weight > 0);
  if (live.length === 1) {
    const only = live[0] as T;
    return () => only;
  }
  const cumulative: number[] = [];
  let total = 0;
  for (const item of live) cumulative.push((total += item.weight));
  return () => {
    const x = random() * total;
    for (let i = 0; i < cumulative.length; i++) if (x < (cumulative[i] as number)) return live[i] as T;
    return live[live.length - 1] as T;
  };
}
