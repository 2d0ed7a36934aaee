// http (inbound): the same inbound policies for apps that own their server: a connect/express
// middleware (mount it first, so the router sees the normalised path) and a Fastify plugin (an
// onRequest hook; Fastify has routed by then, so a path that is not in normal form is refused).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { admit, type InboundEnvironment, kRouteTemplate } from './inbound-handler.js';

export type ConnectMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export function connectMiddleware(env: InboundEnvironment): ConnectMiddleware {
  return (req, res, next) => {
    admit(env, req, res, () => next());
  };
}

export interface FastifyLike {
  addHook(
    name: 'onRequest',
    hook: (
      request: { raw: IncomingMessage; routeOptions?: { url?: string } },
      reply: { raw: ServerResponse; hijack(): void },
      done: (err?: Error) => void,
    ) => void,
  ): unknown;
}

/** A Fastify plugin: `fastify.register(mesh.fastifyPlugin())`. */
export function fastifyPlugin(env: InboundEnvironment) {
  const plugin = (fastify: FastifyLike, _options: unknown, done: (err?: Error) => void) => {
    fastify.addHook('onRequest', (request, reply, hookDone) => {
      // Fastify knows the matched route template now; metrics and spans label with it.
      const url = request.routeOptions?.url;
      if (url) (request.raw as unknown as Record<symbol, string>)[kRouteTemplate] = url;
      // The rest of the request's lifecycle runs inside the context (deadline, peer identity).
      const admitted = admit(env, request.raw, reply.raw, () => hookDone(), false);
      if (!admitted) reply.hijack();
    });
    done();
  };
  // Apply to the whole instance, not a child context (fastify-plugin's convention, without the dependency).
  Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: 'inmesh' });
  return plugin;
}
