// http: reading and adding headers in any of the shapes undici accepts (object, flat array,
// array of pairs, iterable), without normalising them when nothing needs to change.

type HeaderValue = string | string[] | Buffer | Buffer[] | number | undefined | null;

export type HeadersInput = unknown;

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.length ? String(value[0]) : undefined;
  return String(value);
}

/** Visits every [name, value] of request headers in any undici shape. */
export function forEachHeader(headers: HeadersInput, visit: (name: string, value: HeaderValue) => void): void {
  if (headers === null || headers === undefined) return;
  if (Array.isArray(headers)) {
    if (headers.length === 0) return;
    if (Array.isArray(headers[0])) {
      for (const pair of headers as [string, HeaderValue][]) visit(String(pair[0]), pair[1]);
    } else {
      for (let i = 0; i < headers.length; i += 2) visit(String(headers[i]), headers[i + 1] as HeaderValue);
    }
    return;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const pair of headers as Iterable<[string, HeaderValue]>) visit(String(pair[0]), pair[1]);
    return;
  }
  for (const name in headers as Record<string, HeaderValue>) visit(name, (headers as Record<string, HeaderValue>)[name]);
}

/** The first value of a request header (case-insensitive `name`, given in lower case). */
export function getHeader(headers: HeadersInput, name: string): string | undefined {
  if (headers === null || headers === undefined) return undefined;
  if (!Array.isArray(headers) && typeof (headers as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    const record = headers as Record<string, HeaderValue>;
    const direct = record[name];
    if (direct !== undefined) return text(direct);
    for (const key in record) if (key.length === name.length && key.toLowerCase() === name) return text(record[key]);
    return undefined;
  }
  let found: string | undefined;
  forEachHeader(headers, (key, value) => {
    if (found === undefined && key.length === name.length && key.toLowerCase() === name) found = text(value);
  });
  return found;
}

/**
 * Request headers with `additions` set (replacing any value of the same name), as a flat array
 * (a shape every undici version accepts). `additions` is a flat [name, value, ...] list with
 * lower-case names; without request headers it is returned as it is (the caller builds it fresh).
 */
export function withHeaders(headers: HeadersInput, additions: string[]): string[] {
  if (headers === undefined || headers === null) return additions;
  const out: string[] = [];
  // The shape seen on the hot path first (a plain object: fetch and most callers), without a
  // visitor closure per call; the rest through forEachHeader.
  if (!Array.isArray(headers) && typeof (headers as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    const record = headers as Record<string, HeaderValue>;
    for (const name in record) appendHeader(out, additions, name, record[name]);
  } else {
    forEachHeader(headers, (name, value) => appendHeader(out, additions, name, value));
  }
  for (let i = 0; i < additions.length; i++) out.push(additions[i] as string);
  return out;
}

/** Appends one request header to `out`, unless absent or replaced by one of `additions`. */
function appendHeader(out: string[], additions: string[], name: string, value: HeaderValue): void {
  if (value === undefined || value === null) return;
  if (isAdded(name, additions)) return;
  if (Array.isArray(value)) for (const item of value) out.push(name, String(item));
  else out.push(name, String(value));
}

/**
 * Whether `name` (any case) is one of the added names. A name is lower-cased only when its length
 * matches an added one: fetch sends five or six headers per request, and with the deadline
 * header added (19 characters) every one of them used to be lower-cased.
 */
function isAdded(name: string, additions: string[]): boolean {
  let lower: string | undefined;
  for (let i = 0; i < additions.length; i += 2) {
    const added = additions[i] as string;
    if (added.length !== name.length) continue;
    lower ??= name.toLowerCase();
    if (lower === added) return true;
  }
  return false;
}

/** The first value of a response header in undici's raw [name, value, ...] Buffer list. */
export function getRawHeader(raw: readonly (Buffer | string)[] | null | undefined, name: string): string | undefined {
  if (!raw) return undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i] as Buffer | string;
    if (key.length === name.length && key.toString().toLowerCase() === name) return String(raw[i + 1]);
  }
  return undefined;
}
