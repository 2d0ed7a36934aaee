// Public entry 'inmesh': createMesh and the types users and extensions rely on.
export { createMesh, Mesh, type MeshOptions, type MeshEvents, type ReloadEvent, type ServiceStatus } from './mesh.js';
export { InmeshError, isInmeshError, ERROR_CODES, type ErrorCode, type InmeshErrorOptions } from './errors.js';
export type { MeshConfigInput as MeshConfig } from './config/schema.js';
export type { ConfigSnapshot, ServiceSettings, RouteSettings } from './config/compile.js';
export type { ConfigProblem } from './config/problems.js';
export type { ConfigSource } from './config/load.js';
export { defineResolver, type Resolver, type ResolverFactory, type ResolverContext, type EndpointUpdate } from './discovery/resolver.js';
export type { Endpoint, EndpointSpec, EndpointState } from './discovery/endpoint.js';
export { defineBalancer, type Balancer, type BalancerFactory, type Picker, type PickContext } from './balancer/balancer.js';
export { currentContext, runWithContext, type RequestContext } from './context/request-context.js';
export { DEADLINE_HEADER } from './resilience/deadline.js';
export type { Logger } from './util/logger.js';
export type { Clock, Random } from './util/clock.js';
