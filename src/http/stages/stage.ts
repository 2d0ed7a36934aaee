// http: a stage of the outbound stack: it takes the next dispatch and returns its own, as an
// undici interceptor does, except that it is handed the call's state (call.ts) rather than
// dispatch options, so that no stage copies the options.
import type { CallState } from '../call.js';
import type { DispatchHandler } from '../handler.js';

export type CallDispatch = (call: CallState, handler: DispatchHandler) => boolean;
export type Stage = (next: CallDispatch) => CallDispatch;

/** Composes stages outermost first: compose([a, b], t) calls a, then b, then t. */
export function compose(stages: readonly Stage[], terminal: CallDispatch): CallDispatch {
  let dispatch = terminal;
  for (let i = stages.length - 1; i >= 0; i--) dispatch = (stages[i] as Stage)(dispatch);
  return dispatch;
}
