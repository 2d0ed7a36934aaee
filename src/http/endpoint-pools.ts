// http (transport): one undici Pool per endpoint, bounded in connections and kept alive, created
// on first use and closed gracefully (in-flight requests finish) when discovery drops the endpoint.
import { Pool } from 'undici';
import type { Endpoint } from '../discovery/endpoint.js';
import type { Connector } from './tls-connector.js';

export interface PoolSettings {
  readonly protocol: 'http' | 'https';
  readonly maxPerEndpoint: number;
  readonly connectTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** A custom connector (mTLS), with a key naming what it checks: pools differ by it. */
  readonly connector?: { readonly key: string; readonly connect: Connector };
}

export class EndpointPools {
  readonly #pools = new Map<string, Pool>();
  /** Origins (scheme://host:port) of every pool, for `owns`. */
  readonly #origins = new Map<string, number>();
  #closed = false;

  /** The pool for `endpoint`, created with `settings` on first use. */
  get(endpoint: Endpoint, settings: PoolSettings): Pool {
    const cached = endpoint.transport;
    if (cached !== undefined && cached.settings === settings) return cached.pool as Pool;
    const pool = this.#lookup(endpoint, settings);
    endpoint.transport = { settings, pool };
    return pool;
  }

  #lookup(endpoint: Endpoint, settings: PoolSettings): Pool {
    const origin = `${settings.protocol}://${endpoint.id}`;
    const key = settings.connector ? `${origin}#${settings.connector.key}` : origin;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: settings.maxPerEndpoint,
        keepAliveTimeout: settings.keepAliveTimeoutMs,
        connect: settings.connector ? settings.connector.connect : { timeout: settings.connectTimeoutMs },
      });
      // Connection errors reach the request's handler; the pool's own event needs no listener,
      // but an 'error' event without one would crash the process.
      pool.on('connectionError', () => {});
      this.#pools.set(key, pool);
      this.#origins.set(origin, (this.#origins.get(origin) ?? 0) + 1);
    }
    return pool;
  }

  /** Closes the pools of endpoints that left; requests in flight on them finish first. */
  release(endpoints: readonly Endpoint[]): void {
    for (const endpoint of endpoints) endpoint.transport = undefined;
    const ids = new Set(endpoints.map((e) => e.id));
    for (const [key, pool] of this.#pools) {
      const id = key.slice(key.indexOf('://') + 3).split('#')[0] as string;
      if (!ids.has(id)) continue;
      this.#pools.delete(key);
      this.#forgetOrigin(key.split('#')[0] as string);
      pool.close().catch(() => {});
    }
  }

  #forgetOrigin(origin: string): void {
    const n = (this.#origins.get(origin) ?? 1) - 1;
    if (n <= 0) this.#origins.delete(origin);
    else this.#origins.set(origin, n);
  }

  /** True when `origin` (scheme://host:port) is an endpoint this mesh dials. */
  owns(origin: string): boolean {
    return this.#origins.has(origin);
  }

  get size(): number {
    return this.#pools.size;
  }

  /** Closes every pool: waits for in-flight requests, then for sockets to close. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.close().catch(() => {})));
  }

  /** Destroys every pool at once (in-flight requests fail). */
  async destroy(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy().catch(() => {})));
  }
}
