// config: validation issues turned into problems a person can fix: file, line, column, key path,
// and what is expected, for every problem at once.
import type * as v from 'valibot';
import { InmeshError } from '../errors.js';
import type { SourceDocument } from './parse.js';

export type PathKey = string | number;

/** One thing wrong with a config. */
export interface ConfigProblem {
  /** Key path, e.g. `services.payments.retries.attempts`. */
  readonly path: string;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

/** A problem before it is located in its file. */
export interface RawProblem {
  readonly path: readonly PathKey[];
  readonly message: string;
  /** True when the problem is the key itself (unknown key): point at the key, not its value. */
  readonly atKey?: boolean;
}

/** Flattens valibot issues into raw problems, under `prefix`. */
export function issuesToProblems(issues: readonly v.BaseIssue<unknown>[], prefix: readonly PathKey[] = []): RawProblem[] {
  const out: RawProblem[] = [];
  for (const issue of issues) collect(issue, prefix, out);
  return out;
}

function collect(issue: v.BaseIssue<unknown>, prefix: readonly PathKey[], out: RawProblem[]): void {
  const path = [...prefix, ...(issue.path ?? []).map((item) => item.key as PathKey)];
  // A union reports "expected (A | B)"; when a branch got into the value (e.g. the object form
  // of `false | {...}`), its issues say much better what is wrong: a typo inside the object.
  // The paths of a union's sub-issues are relative to the union's own value.
  if (issue.type === 'union' && issue.issues?.length) {
    const depth = (i: v.BaseIssue<unknown>) => i.path?.length ?? 0;
    const deepest = Math.max(...issue.issues.map(depth));
    if (deepest > 0) {
      for (const sub of issue.issues) if (depth(sub) === deepest) collect(sub, path, out);
      return;
    }
  }
  const atKey = issue.type === 'strict_object' && issue.expected === 'never';
  // A YAML list where a mapping belongs passes as an object with keys "0", "1", ...: say so.
  if (atKey && Array.isArray(issue.path?.at(-1)?.input)) {
    const keys = /expected one of: (.*)$/.exec(issue.message)?.[1];
    out.push({ path: path.slice(0, -1), message: `expected a mapping${keys ? ` with keys ${keys}` : ''}, got a list` });
    return;
  }
  out.push({ path, message: atKey ? withSuggestion(issue.message, issue.input, path) : issue.message, atKey });
}

// "unknown key "retires"; expected one of: attempts, ..." gains "(did you mean retries?)".
function withSuggestion(message: string, _input: unknown, path: readonly PathKey[]): string {
  const key = String(path[path.length - 1]);
  const list = /expected one of: (.*)$/.exec(message)?.[1]?.split(', ') ?? [];
  const best = list.map((name) => ({ name, d: editDistance(key.toLowerCase(), name.toLowerCase()) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= Math.max(1, Math.floor(key.length / 3)) ? `${message} (did you mean ${best.name}?)` : message;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

/** `services.payments.routes[0].to` */
export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out || '(root)';
}

/** Locates raw problems in their source document (when there is one), in the order of the file. */
export async function locateProblems(raw: readonly RawProblem[], doc: SourceDocument | undefined): Promise<ConfigProblem[]> {
  const locate = doc ? await doc.locator() : undefined;
  const located: ConfigProblem[] = raw.map((problem) => {
    const pos = locate?.(problem.path, problem.atKey === true);
    return {
      path: formatPath(problem.path),
      message: problem.message,
      ...(doc?.file ? { file: doc.file } : {}),
      ...(pos ? { line: pos.line, column: pos.column } : {}),
    };
  });
  // Stable: problems at one place keep the schema's order; unlocated ones go last.
  const key = (p: ConfigProblem) => (p.line === undefined ? Number.MAX_SAFE_INTEGER : p.line * 100_000 + (p.column ?? 0));
  return located.sort((a, b) => key(a) - key(b));
}

/** One line per problem: `file:line:col  path: message`. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems
    .map((p) => {
      const where = p.file ? `${p.file}${p.line ? `:${p.line}:${p.column}` : ''}  ` : '';
      return `  ${where}${p.path}: ${p.message}`;
    })
    .join('\n');
}

/** The ERR_CONFIG_INVALID error for a list of problems. */
export function configInvalid(problems: readonly ConfigProblem[], source?: string): InmeshError {
  const n = problems.length;
  const head = `Invalid configuration${source ? ` in ${source}` : ''} (${n} problem${n === 1 ? '' : 's'}):`;
  return new InmeshError('ERR_CONFIG_INVALID', `${head}\n${formatProblems(problems)}`, { details: { problems } });
}
