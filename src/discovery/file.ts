// discovery: the `file` resolver: a JSON or YAML file mapping service names to endpoint lists,
// re-read when it changes. A file that fails to parse keeps the last good endpoints.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import * as v from 'valibot';
import { DEFAULTS } from '../config/defaults.js';
import { parseSource } from '../config/parse.js';
import { configInvalid, issuesToProblems, locateProblems } from '../config/problems.js';
import { fileResolverSchema, staticResolverSchema } from '../config/schema.js';
import { parseDuration } from '../config/units.js';
import { InmeshError } from '../errors.js';
import { watchFile } from '../util/watch-file.js';
import type { EndpointSpec } from './endpoint.js';
import { toEndpointSpecs } from './endpoint-list.js';
import { defineResolver, type EndpointListener } from './resolver.js';

/** Reads and validates an endpoints file; problems are reported with their lines. */
export async function readEndpointsFile(path: string): Promise<Map<string, EndpointSpec[]>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InmeshError('ERR_DISCOVERY_FAILED', `cannot read endpoints file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const doc = await parseSource(text, path);
  const result = v.safeParse(staticResolverSchema, doc.value ?? {}, { abortEarly: false });
  if (!result.success) throw configInvalid(await locateProblems(issuesToProblems(result.issues), doc), path);
  const table = new Map<string, EndpointSpec[]>();
  for (const [service, list] of Object.entries(result.output)) table.set(service, toEndpointSpecs(list));
  return table;
}

export const fileResolver = defineResolver({
  name: 'file',
  options: fileResolverSchema,
  create(options, context) {
    const path = resolve(context.baseDir, options.path);
    let table = new Map<string, EndpointSpec[]>();
    const listeners = new Map<string, Set<EndpointListener>>();
    let closed = false;
    // Reads are not serialised: a slow read that started before a newer one must not overwrite
    // the newer result when it finishes last. Reads are numbered; an older one than the last
    // applied is dropped.
    let started = 0;
    let applied = 0;

    const publish = (service: string, listener: EndpointListener) => listener({ endpoints: table.get(service) ?? [] });

    const reload = async () => {
      const read = ++started;
      let next: Map<string, EndpointSpec[]>;
      try {
        next = await readEndpointsFile(path);
      } catch (err) {
        if (closed || read < applied) return;
        context.logger.warn({ err, path }, 'endpoints file rejected; keeping the last good endpoints');
        for (const set of listeners.values()) for (const listener of set) listener({ error: err as Error });
        return;
      }
      if (closed || read < applied) return;
      applied = read;
      const namesChanged = next.size !== table.size || [...next.keys()].some((name) => !table.has(name));
      table = next;
      for (const [service, set] of listeners) for (const listener of set) publish(service, listener);
      if (namesChanged) context.onKnownServicesChanged();
    };

    // The first read is strict: a broken endpoints file at start fails createMesh.
    const firstRead = ++started;
    const first = readEndpointsFile(path).then((t) => {
      if (firstRead < applied) return;
      applied = firstRead;
      table = t;
      for (const [service, set] of listeners) for (const listener of set) publish(service, listener);
    });
    const watcher = watchFile(path, () => void reload(), parseDuration(DEFAULTS.reload.debounce));

    return {
      serves: (service) => table.has(service),
      knownServices: () => table.keys(),
      watch(service, listener) {
        let set = listeners.get(service);
        if (!set) listeners.set(service, (set = new Set()));
        set.add(listener);
        publish(service, listener);
        return () => set.delete(listener);
      },
      ready: () => first,
      close() {
        closed = true;
        watcher.close();
        listeners.clear();
      },
    };
  },
});
