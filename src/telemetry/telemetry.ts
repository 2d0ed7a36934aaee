// telemetry: what the request path reports to, in one object per mesh: metrics, golden stats for
// the dashboard, the access log, tracing on or off, and the last errors. The outbound telemetry
// stage and the inbound handler hold it; a reload replaces its access log in place.
import type { Registry } from 'prom-client';
import type { Clock, Random } from '../util/clock.js';
import { AccessLog, type AccessLogOptions } from './access-log.js';
import { GoldenStats } from './golden-stats.js';
import { MeshMetrics, type MetricsSource } from './metrics.js';

export interface TelemetrySettings {
  readonly tracing: boolean;
  readonly metrics: boolean;
  readonly accessLog: AccessLogOptions | undefined;
}

/** A failure worth showing on the dashboard. */
export interface RecentError {
  readonly time: number;
  readonly direction: 'inbound' | 'outbound';
  readonly service: string;
  readonly status: number;
  readonly code: string | undefined;
  readonly message: string;
}

const RECENT_ERRORS = 20;

export class Telemetry {
  readonly metrics: MeshMetrics | undefined;
  readonly stats: GoldenStats;
  readonly tracing: boolean;
  accessLog: AccessLog | undefined;
  #accessLogKey = '';
  readonly #errors: RecentError[] = [];

  constructor(
    settings: TelemetrySettings,
    registry: Registry | undefined,
    source: MetricsSource,
    readonly clock: Clock,
    private readonly random: Random,
  ) {
    this.tracing = settings.tracing;
    // A registry passed by the user is always filled: asking for one means wanting the metrics.
    this.metrics = settings.metrics || registry ? new MeshMetrics(registry, source) : undefined;
    this.stats = new GoldenStats(clock);
    this.configureAccessLog(settings.accessLog);
  }

  /** Applies (new) access-log settings; the log is reopened only when they changed. */
  configureAccessLog(options: AccessLogOptions | undefined): void {
    const key = options ? JSON.stringify({ ...options, output: typeof options.output === 'function' ? 'fn' : options.output }) : '';
    if (key === this.#accessLogKey) return;
    this.#accessLogKey = key;
    this.accessLog?.close();
    this.accessLog = options ? new AccessLog(options, this.random) : undefined;
  }

  recordError(error: RecentError): void {
    this.#errors.push(error);
    if (this.#errors.length > RECENT_ERRORS) this.#errors.shift();
  }

  get recentErrors(): readonly RecentError[] {
    return this.#errors;
  }

  close(): void {
    this.accessLog?.close();
  }
}
