// security: authorization policies, Istio's AuthorizationPolicy semantics. DENY policies are
// checked first and win; once any ALLOW policy exists, a request no ALLOW policy matches is
// denied; with no policy at all, everything is allowed. A dry-run policy is evaluated, logged and
// counted, but never decides.
//
// Paths are matched after normalisation (http/path-normalize.ts), so an encoded or dotted path
// cannot slip past a rule written for its plain form.

import type { AuthorizationRule } from '../config/compile.js';

/** A policy as compiled from the config (config/compile.ts). */
export type { AuthorizationRule };

/** What a rule looks at. */
export interface AuthorizationRequest {
  /** The peer's verified SPIFFE ID; undefined for plaintext or unauthenticated peers. */
  readonly peer: string | undefined;
  readonly method: string;
  /** The normalised path, without query. */
  readonly path: string;
  header(name: string): string | undefined;
}

export interface AuthorizationDecision {
  readonly allowed: boolean;
  /** The policy that decided (or, for a default deny, undefined). */
  readonly policy: string | undefined;
  /** Dry-run policies that would have denied this request. */
  readonly dryRunDenials: readonly string[];
  readonly reason: string;
}

type Pattern = (value: string | undefined) => boolean;

function pattern(text: string): Pattern {
  if (text === '*') return () => true;
  if (text.endsWith('*')) {
    const prefix = text.slice(0, -1);
    return (value) => value?.startsWith(prefix) === true;
  }
  return (value) => value === text;
}

interface CompiledRule {
  readonly rule: AuthorizationRule;
  readonly matches: (request: AuthorizationRequest) => boolean;
}

function compileRule(rule: AuthorizationRule): CompiledRule {
  const from = rule.from?.map((text) => (text === '*' ? (peer: string | undefined) => peer !== undefined : pattern(text)));
  const methods = rule.methods ? new Set(rule.methods.map((m) => m.toUpperCase())) : undefined;
  const paths = rule.paths?.map(pattern);
  const headers = Object.entries(rule.headers ?? {}).map(([name, value]) => {
    const test = value === '*' ? (v: string | undefined) => v !== undefined : pattern(value);
    return (request: AuthorizationRequest) => test(request.header(name.toLowerCase()));
  });
  return {
    rule,
    matches(request) {
      if (from && !from.some((p) => p(request.peer))) return false;
      if (methods && !methods.has(request.method)) return false;
      if (paths && !paths.some((p) => p(request.path))) return false;
      for (const header of headers) if (!header(request)) return false;
      return true;
    },
  };
}

export class Authorizer {
  readonly #deny: CompiledRule[];
  readonly #allow: CompiledRule[];
  readonly #dryRun: CompiledRule[];

  constructor(rules: readonly AuthorizationRule[]) {
    const compiled = rules.map(compileRule);
    this.#deny = compiled.filter((r) => !r.rule.dryRun && r.rule.action === 'deny');
    this.#allow = compiled.filter((r) => !r.rule.dryRun && r.rule.action === 'allow');
    this.#dryRun = compiled.filter((r) => r.rule.dryRun);
  }

  /** True when no enforcing policy exists (every request is allowed). */
  get permissive(): boolean {
    return this.#deny.length === 0 && this.#allow.length === 0 && this.#dryRun.length === 0;
  }

  decide(request: AuthorizationRequest): AuthorizationDecision {
    const dryRunDenials = this.#dryRunDenials(request);
    for (const deny of this.#deny) {
      if (deny.matches(request))
        return { allowed: false, policy: deny.rule.name, dryRunDenials, reason: `denied by policy ${deny.rule.name}` };
    }
    if (this.#allow.length === 0) return { allowed: true, policy: undefined, dryRunDenials, reason: 'no ALLOW policy' };
    for (const allow of this.#allow) {
      if (allow.matches(request))
        return { allowed: true, policy: allow.rule.name, dryRunDenials, reason: `allowed by policy ${allow.rule.name}` };
    }
    return { allowed: false, policy: undefined, dryRunDenials, reason: 'no ALLOW policy matches' };
  }

  // A dry-run DENY that matches, or a dry-run ALLOW set that the request does not match, would
  // have denied it.
  #dryRunDenials(request: AuthorizationRequest): string[] {
    if (this.#dryRun.length === 0) return [];
    const out: string[] = [];
    const dryAllows = this.#dryRun.filter((r) => r.rule.action === 'allow');
    for (const r of this.#dryRun) if (r.rule.action === 'deny' && r.matches(request)) out.push(r.rule.name);
    if (dryAllows.length > 0 && !dryAllows.some((r) => r.matches(request))) out.push(...dryAllows.map((r) => r.rule.name));
    return out;
  }
}
