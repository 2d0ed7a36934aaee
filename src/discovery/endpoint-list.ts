// discovery: endpoint lists as written in config and endpoint files, to EndpointSpecs.
import type { ParsedEndpoint } from '../config/schema.js';
import { type EndpointSpec, parseHostPort } from './endpoint.js';

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

export function toEndpointSpecs(list: readonly ParsedEndpoint[]): EndpointSpec[] {
  return list.map((entry) => {
    if (typeof entry === 'string') return { ...parseHostPort(entry), labels: NO_LABELS, weight: 1 };
    return {
      ...parseHostPort(entry.address),
      labels: Object.freeze({ ...(entry.labels ?? {}) }),
      weight: entry.weight ?? 1,
    };
  });
}
