// discovery: the `dns` resolver: A/AAAA (port from config) or SRV (port and weight from DNS),
// re-resolved as TTLs run out (within [minTtl, maxTtl]), keeping the last good set on failure.
//
// Node's resolver returns TTLs for A/AAAA answers but not for SRV, so an SRV set is refreshed at
// the lowest TTL of its targets' addresses, or `refresh` when that is unknown.
import { Resolver as DnsResolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { DEFAULTS } from '../config/defaults.js';
import { dnsResolverSchema } from '../config/schema.js';
import { parseDuration } from '../config/units.js';
import { InmeshError } from '../errors.js';
import type { TimerHandle } from '../util/clock.js';
import type { EndpointSpec } from './endpoint.js';
import { defineResolver, type EndpointListener } from './resolver.js';

/** One DNS query's timeout; a resolution tries twice. */
const QUERY_TIMEOUT_MS = 2_000;

interface Answer {
  endpoints: EndpointSpec[];
  /** Lowest TTL in the answer, in ms; undefined when DNS gave none. */
  ttlMs: number | undefined;
}

interface Watched {
  readonly service: string;
  readonly listeners: Set<EndpointListener>;
  last: readonly EndpointSpec[] | undefined;
  timer: TimerHandle | undefined;
  first: Promise<void>;
}

export const dnsResolver = defineResolver({
  name: 'dns',
  options: dnsResolverSchema,
  create(options, context) {
    const { clock, logger } = context;
    const minTtl = options.minTtl ?? parseDuration(DEFAULTS.dns.minTtl);
    const maxTtl = options.maxTtl ?? parseDuration(DEFAULTS.dns.maxTtl);
    const refresh = options.refresh ?? parseDuration(DEFAULTS.dns.refresh);
    const port = options.port ?? DEFAULTS.dns.port;
    const family = options.family ?? 0;
    const template = options.name ?? '{service}';
    const labels = Object.freeze({ ...(options.labels ?? {}) });
    // Explicit services, or every declared service no earlier source serves (checked live, since
    // a file source learns its names only once its file is read).
    const explicit = options.services ? new Set(options.services) : undefined;
    const declared = new Set(context.declaredServices);
    const serves = (service: string) => (explicit ? explicit.has(service) : declared.has(service) && !context.claimedEarlier(service));
    const dns = new DnsResolver({ timeout: QUERY_TIMEOUT_MS, tries: 2 });
    if (options.servers?.length) dns.setServers(options.servers);
    const watched = new Map<string, Watched>();
    let closed = false;

    const addresses = async (name: string): Promise<{ address: string; ttl: number }[]> => {
      if (isIP(name)) return [{ address: name, ttl: maxTtl / 1000 }];
      const lookups: Promise<{ address: string; ttl: number }[]>[] = [];
      if (family !== 6) lookups.push(dns.resolve4(name, { ttl: true }));
      if (family !== 4) lookups.push(dns.resolve6(name, { ttl: true }));
      const results = await Promise.allSettled(lookups);
      const found = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
      if (found.length === 0) {
        const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        throw failure ? failure.reason : new Error(`no address for ${name}`);
      }
      return found;
    };

    const resolveOnce = async (service: string): Promise<Answer> => {
      const name = template.replaceAll('{service}', service);
      if (!options.srv) {
        const found = await addresses(name);
        return {
          endpoints: found.map((a) => ({ host: a.address, port, labels, weight: 1 })),
          ttlMs: Math.min(...found.map((a) => a.ttl * 1000)),
        };
      }
      const records = await dns.resolveSrv(name);
      // RFC 2782: only the lowest priority value is used while any of it answers.
      const best = Math.min(...records.map((r) => r.priority));
      const chosen = records.filter((r) => r.priority === best);
      const endpoints: EndpointSpec[] = [];
      let ttlMs: number | undefined;
      // A target whose name does not resolve is left out (the others still serve); only when
      // none resolves does the whole answer fail, keeping the last good set.
      let lastFailure: unknown;
      for (const record of chosen) {
        let found: { address: string; ttl: number }[];
        try {
          found = await addresses(record.name);
        } catch (err) {
          lastFailure = err;
          continue;
        }
        for (const a of found) {
          endpoints.push({ host: a.address, port: record.port, labels, weight: Math.max(1, record.weight) });
          ttlMs = Math.min(ttlMs ?? Number.POSITIVE_INFINITY, a.ttl * 1000);
        }
      }
      if (endpoints.length === 0 && lastFailure !== undefined) throw lastFailure;
      return { endpoints, ttlMs };
    };

    const schedule = (entry: Watched, ms: number) => {
      // An entry unwatched while its query was in flight is no longer in `watched`: re-arming its
      // timer would poll DNS forever with nobody listening and nothing able to clear it.
      if (closed || watched.get(entry.service) !== entry) return;
      entry.timer = clock.setTimeout(() => void poll(entry), ms);
      entry.timer.unref?.();
    };

    const poll = async (entry: Watched): Promise<void> => {
      let answer: Answer;
      try {
        answer = await resolveOnce(entry.service);
        if (answer.endpoints.length === 0) throw new Error('DNS answered with no endpoints');
      } catch (cause) {
        if (closed) return;
        const error = new InmeshError(
          'ERR_DISCOVERY_FAILED',
          `DNS resolution of ${entry.service} failed: ${(cause as Error).message}${entry.last ? '; keeping the last good endpoints' : ''}`,
          { cause, details: { service: entry.service } },
        );
        logger.warn({ err: error, service: entry.service }, error.message);
        for (const listener of entry.listeners) listener({ error });
        schedule(entry, minTtl);
        return;
      }
      if (closed) return;
      entry.last = answer.endpoints;
      for (const listener of entry.listeners) listener({ endpoints: answer.endpoints });
      const ttl = answer.ttlMs ?? refresh;
      schedule(entry, Math.min(maxTtl, Math.max(minTtl, ttl)));
    };

    return {
      serves,
      knownServices: () => [...(explicit ?? declared)].filter(serves),
      watch(service, listener) {
        let entry = watched.get(service);
        if (!entry) {
          entry = { service, listeners: new Set(), last: undefined, timer: undefined, first: Promise.resolve() };
          watched.set(service, entry);
          entry.listeners.add(listener);
          entry.first = poll(entry);
        } else {
          entry.listeners.add(listener);
          if (entry.last) listener({ endpoints: entry.last });
        }
        const current = entry;
        return () => {
          current.listeners.delete(listener);
          if (current.listeners.size === 0) {
            if (current.timer) clock.clearTimeout(current.timer);
            watched.delete(service);
          }
        };
      },
      ready: async () => {
        await Promise.all([...watched.values()].map((w) => w.first));
      },
      close() {
        closed = true;
        for (const entry of watched.values()) if (entry.timer) clock.clearTimeout(entry.timer);
        watched.clear();
        dns.cancel();
      },
    };
  },
});
