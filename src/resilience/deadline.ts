// resilience: deadlines that travel. A call's remaining time is sent to the callee in a header;
// an inmesh server reads it into its request context, and its own outbound calls inherit what
// is left, so a chain of services shares one budget (Finagle's deadlines, gRPC's grpc-timeout).
//
// The header carries a relative time, not a timestamp, so clock skew between hosts cannot
// shorten or stretch a deadline; network time is the only error, and it errs on the safe side.

/** Remaining milliseconds of the caller's deadline when the request was sent. */
export const DEADLINE_HEADER = 'x-inmesh-timeout-ms';

/** Longest deadline accepted from a header (a day): a larger value is treated as garbage. */
const MAX_HEADER_TIMEOUT_MS = 86_400_000;

/** The header's value as milliseconds, or undefined when absent or malformed. */
export function parseDeadlineHeader(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^\d{1,9}$/.test(text)) return undefined;
  const ms = Number(text);
  return ms <= MAX_HEADER_TIMEOUT_MS ? ms : undefined;
}

/** The earlier of two deadlines (clock ms); undefined means none. */
export function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}
