// Test helper: a logger that keeps what it is told instead of printing it.
import type { Logger } from '../../src/index.js';

export interface RecordingLogger extends Logger {
  readonly lines: { level: string; obj: object; msg: string | undefined }[];
}

export function recordingLogger(): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
