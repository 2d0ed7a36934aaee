// http: a stage of the outbound stack, undici's interceptor shape: it takes the next dispatch
// and returns its own.
import type { Dispatch } from '../handler.js';

export type Stage = (next: Dispatch) => Dispatch;

/** Composes stages outermost first: compose([a, b], t) calls a, then b, then t. */
export function compose(stages: readonly Stage[], terminal: Dispatch): Dispatch {
  let dispatch = terminal;
  for (let i = stages.length - 1; i >= 0; i--) dispatch = (stages[i] as Stage)(dispatch);
  return dispatch;
}
