// telemetry: access logs: one JSON line per inbound request and outbound call, in pino's shape
// (level, time, msg, then fields), to stdout, stderr, a file, or a function; sampled.
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Random } from '../util/clock.js';

/** One access-log record. */
export interface AccessLogEntry {
  readonly direction: 'inbound' | 'outbound';
  /** This service. */
  readonly service: string | undefined;
  /** The service called (outbound). */
  readonly peer_service?: string;
  /** The caller's SPIFFE ID (inbound, over mTLS), or the identity this call runs on behalf of (outbound). */
  readonly peer?: string | undefined;
  readonly route: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly duration_ms: number;
  readonly bytes_out?: number;
  readonly bytes_in?: number;
  readonly retries?: number;
  readonly endpoint?: string | undefined;
  readonly subset?: string;
  readonly trace_id?: string | undefined;
  readonly span_id?: string | undefined;
  readonly error?: string | undefined;
}

export type AccessLogOutput = 'stdout' | 'stderr' | ((line: Record<string, unknown>) => void) | { readonly file: string };

export interface AccessLogOptions {
  readonly output: AccessLogOutput;
  /** Share of records written, 0..1. Errors (status >= 500 or none) are always written. */
  readonly sample: number;
  readonly directions: readonly ('inbound' | 'outbound')[];
}

/** pino's info level. */
const INFO = 30;

export class AccessLog {
  readonly #write: (line: Record<string, unknown>) => void;
  readonly #stream: WriteStream | undefined;
  readonly #inbound: boolean;
  readonly #outbound: boolean;

  constructor(
    private readonly options: AccessLogOptions,
    private readonly random: Random,
  ) {
    const output = options.output;
    this.#inbound = options.directions.includes('inbound');
    this.#outbound = options.directions.includes('outbound');
    if (typeof output === 'function') {
      this.#write = output;
    } else if (output === 'stdout' || output === 'stderr') {
      const stream = output === 'stdout' ? process.stdout : process.stderr;
      this.#write = (line) => stream.write(`${JSON.stringify(line)}\n`);
    } else {
      const stream = createWriteStream(output.file, { flags: 'a' });
      stream.on('error', () => {
        /* a full disk must not take the service down; the lines are lost */
      });
      this.#stream = stream;
      this.#write = (line) => stream.write(`${JSON.stringify(line)}\n`);
    }
  }

  /** True when entries of this direction are logged at all (callers skip building them otherwise). */
  wants(direction: 'inbound' | 'outbound'): boolean {
    return direction === 'inbound' ? this.#inbound : this.#outbound;
  }

  log(entry: AccessLogEntry): void {
    const failed = entry.status === 0 || entry.status >= 500;
    if (!failed && this.options.sample < 1 && this.random() >= this.options.sample) return;
    this.#write({ level: INFO, time: Date.now(), msg: entry.direction === 'inbound' ? 'request' : 'call', ...entry });
  }

  close(): void {
    this.#stream?.end();
  }
}
