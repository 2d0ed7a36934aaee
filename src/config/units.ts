// config: the two scalar units of the config language, durations ("250ms", "2s") and sizes ("64KiB").

/** A duration: a decimal number and a unit (ms, s, m, h). Also the JSON Schema `pattern` of durations. */
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const DURATION = DURATION_PATTERN;
const DURATION_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** True when `text` is a duration such as `250ms`, `2s`, `1.5m` or `1h`. */
export function isDuration(text: string): boolean {
  return DURATION.test(text);
}

/** Milliseconds in a duration string; throws on a string {@link isDuration} rejects. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text);
  if (!match) throw new TypeError(`not a duration: ${JSON.stringify(text)} (use e.g. 250ms, 2s, 1m, 1h)`);
  return Number(match[1]) * (DURATION_MS[match[2] as string] as number);
}

/** A size: whole bytes with an optional unit. Also the JSON Schema `pattern` of size strings. */
export const SIZE_PATTERN = /^(\d+)(B|KiB|MiB|GiB|kB|MB|GB)?$/;
const SIZE = SIZE_PATTERN;
const SIZE_BYTES: Record<string, number> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  kB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
};

/** True when `text` is a size such as `64KiB`, `1MiB` or `512` (bytes). */
export function isSize(text: string): boolean {
  return SIZE.test(text);
}

/** Bytes in a size string. */
export function parseSize(text: string): number {
  const match = SIZE.exec(text);
  if (!match) throw new TypeError(`not a size: ${JSON.stringify(text)} (use e.g. 64KiB, 1MiB)`);
  return Number(match[1]) * (SIZE_BYTES[match[2] ?? 'B'] as number);
}
