// routing: matching a request to a route. Matchers are compiled once per config snapshot into
// plain predicates; conditions that a route does not use cost nothing per request.
import type { RouteMatchSettings, StringMatchSettings } from '../config/compile.js';

/** The parts of a request routing looks at; protocol adapters provide it. */
export interface RequestView {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** A header value by lower-case name. */
  header(name: string): string | undefined;
  /** A query parameter's first value. */
  query(name: string): string | undefined;
}

export type RequestPredicate = (request: RequestView) => boolean;

function stringPredicate(match: StringMatchSettings): (value: string | undefined) => boolean {
  if ('exact' in match) return (value) => value === match.exact;
  if ('prefix' in match) return (value) => value?.startsWith(match.prefix) === true;
  if ('regex' in match) {
    const re = new RegExp(match.regex);
    return (value) => value !== undefined && re.test(value);
  }
  return match.present ? (value) => value !== undefined : (value) => value === undefined;
}

/** Compiles a route's match block; an empty block matches everything. */
export function compileMatch(match: RouteMatchSettings): RequestPredicate {
  const checks: RequestPredicate[] = [];
  const path = match.path;
  if (path) {
    if ('exact' in path) checks.push((r) => r.path === path.exact);
    else if ('prefix' in path) checks.push((r) => r.path.startsWith(path.prefix));
    else {
      const re = new RegExp(path.regex);
      checks.push((r) => re.test(r.path));
    }
  }
  if (match.methods) {
    const methods = new Set(match.methods);
    checks.push((r) => methods.has(r.method));
  }
  for (const [name, m] of Object.entries(match.headers ?? {})) {
    const test = stringPredicate(m);
    checks.push((r) => test(r.header(name)));
  }
  for (const [name, m] of Object.entries(match.query ?? {})) {
    const test = stringPredicate(m);
    checks.push((r) => test(r.query(name)));
  }
  if (checks.length === 0) return () => true;
  if (checks.length === 1) return checks[0] as RequestPredicate;
  return (r) => {
    for (const check of checks) if (!check(r)) return false;
    return true;
  };
}
