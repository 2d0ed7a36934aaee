// telemetry: one event per finished outbound call, on a diagnostics channel, for whoever
// listens (metrics, access logs, the demo's summary). Publishing costs nothing without
// subscribers: the stage checks `hasSubscribers` per call and steps aside.
import diagnostics from 'node:diagnostics_channel';

/** What is known of an outbound call when it ends. */
export interface CallEvent {
  readonly service: string;
  readonly route: string;
  /** Subset name, '' when the route sends to every endpoint. */
  readonly subset: string;
  readonly method: string;
  /** Attempts sent (retries = attempts - 1). */
  readonly attempts: number;
  /** Response status, 0 when the call failed without one. */
  readonly statusCode: number;
  /** Endpoint of the last attempt, host:port. */
  readonly endpoint: string | undefined;
  readonly durationMs: number;
  readonly error: Error | undefined;
}

/** Channel `inmesh:client:call`: a {@link CallEvent} per outbound HTTP call. */
export const callChannel = diagnostics.channel('inmesh:client:call');
