// Public entry 'inmesh': createMesh and the types users and extensions rely on.

export { type Balancer, type BalancerFactory, defineBalancer, type PickContext, type Picker } from './balancer/balancer.js';
export type { ConfigSnapshot, RouteSettings, ServiceSettings } from './config/compile.js';
export type { ConfigSource } from './config/load.js';
export type { ConfigProblem } from './config/problems.js';
export type {
  AccessLogConfig,
  AdminConfig,
  AuthorizationPolicyConfig,
  BackoffConfig,
  BudgetConfig,
  CircuitBreakerConfig,
  ConnectionsConfig,
  CustomDiscoveryConfig,
  DefaultsConfig,
  DiscoveryConfig,
  DnsDiscoveryConfig,
  DnsDiscoveryOptions,
  Duration,
  EndpointConfig,
  FaultConfig,
  FileDiscoveryConfig,
  FileDiscoveryOptions,
  HealthCheckConfig,
  IdentityConfig,
  IdentityTlsConfig,
  InboundConfig,
  Labels,
  LoadBalancerConfig,
  LoadBalancerOptions,
  MeshConfig,
  MirrorConfig,
  OutboundConfig,
  OutlierDetectionConfig,
  PathMatch,
  PolicyConfig,
  RetriesConfig,
  RetryCondition,
  RouteConfig,
  RouteDestination,
  RouteMatchConfig,
  ServiceConfig,
  Size,
  StaticDiscoveryConfig,
  StringMatch,
  TelemetryConfig,
} from './config/types.js';
export { currentContext, type RequestContext, runWithContext } from './context/request-context.js';
export type { Endpoint, EndpointSpec, EndpointState } from './discovery/endpoint.js';
export { defineResolver, type EndpointUpdate, type Resolver, type ResolverContext, type ResolverFactory } from './discovery/resolver.js';
export { ERROR_CODES, type ErrorCode, InmeshError, type InmeshErrorOptions, isInmeshError } from './errors.js';
export { createMesh, Mesh, type MeshEvents, type MeshOptions, type ReloadEvent, type ServiceStatus } from './mesh.js';
export { DEADLINE_HEADER } from './resilience/deadline.js';
export type { Clock, Random } from './util/clock.js';
export type { Logger } from './util/logger.js';
