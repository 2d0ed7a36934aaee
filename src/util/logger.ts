// util: the logger interface (pino-compatible: pass a pino logger as is) and the default one.

/** A pino-compatible logger: `logger.warn({ obj }, 'message')`. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

type Level = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<Level, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: 100 };

/** JSON lines on stderr, in pino's shape, from `level` up (default warn: a library stays quiet). */
export function createDefaultLogger(level: Level = (process.env.INMESH_LOG_LEVEL as Level) ?? 'warn'): Logger {
  const min = RANK[level] ?? RANK.warn;
  const write = (lvl: Level) => (obj: object, msg?: string) => {
    if (RANK[lvl] < min) return;
    const line = { level: RANK[lvl], time: Date.now(), name: 'inmesh', ...serialise(obj), msg };
    process.stderr.write(`${JSON.stringify(line)}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** Errors lose their message under JSON.stringify; keep code and message. */
function serialise(obj: object): object {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    out[key] = value instanceof Error ? { type: value.name, message: value.message, code: (value as { code?: string }).code } : value;
  }
  return out;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
