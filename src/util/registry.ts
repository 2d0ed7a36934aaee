// util: a registry of named extensions (resolvers, balancers). It hangs off a mesh, never a module
// global, so two meshes in one process can register different things.
import { InmeshError } from '../errors.js';

export class Registry<T extends { readonly name: string }> {
  readonly #entries = new Map<string, T>();

  constructor(
    /** What the entries are, for messages: "resolver", "load balancer". */
    readonly kind: string,
    entries: Iterable<T> = [],
  ) {
    for (const entry of entries) this.register(entry);
  }

  /** Adds an entry; a later entry with the same name replaces the earlier one. */
  register(entry: T): this {
    this.#entries.set(entry.name, entry);
    return this;
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  get names(): string[] {
    return [...this.#entries.keys()];
  }

  /** The entry, or ERR_CONFIG_INVALID listing the names that exist. */
  get(name: string): T {
    const entry = this.#entries.get(name);
    if (!entry) {
      throw new InmeshError('ERR_CONFIG_INVALID', `unknown ${this.kind} ${JSON.stringify(name)}; known: ${this.names.join(', ')}`);
    }
    return entry;
  }

  find(name: string): T | undefined {
    return this.#entries.get(name);
  }
}
