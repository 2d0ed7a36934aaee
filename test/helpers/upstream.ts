// Test helper: real HTTP upstreams on 127.0.0.1, on ephemeral ports, with switchable behaviour.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Behaviour = 'ok' | 'fail503' | 'hang' | 'reset';

export interface Upstream {
  readonly name: string;
  readonly port: number;
  readonly address: string;
  /** Requests received, by path. */
  readonly hits: { method: string; path: string; headers: IncomingMessage['headers'] }[];
  behaviour: Behaviour;
  /** Custom handler, overrides behaviour. */
  handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  readonly server: Server;
}

export async function startUpstream(name: string, port = 0): Promise<Upstream> {
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  let server!: Server;
  const upstream: Upstream = {
    name,
    port: 0,
    address: '',
    hits: [],
    behaviour: 'ok',
    handler: undefined,
    get server() {
      return server;
    },
    async stop() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
    async restart() {
      await listen(upstream.port);
    },
  };
  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      server = createServer((req, res) => {
        upstream.hits.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
        if (upstream.handler) return upstream.handler(req, res);
        switch (upstream.behaviour) {
          case 'ok': {
            req.resume();
            req.on('end', () => {
              res.setHeader('content-type', 'application/json');
              res.end(JSON.stringify({ upstream: name, path: req.url }));
            });
            return;
          }
          case 'fail503':
            req.resume();
            res.statusCode = 503;
            res.end('unavailable');
            return;
          case 'hang':
            req.resume();
            hanging.add(res);
            res.on('close', () => hanging.delete(res));
            return;
          case 'reset':
            req.socket.destroy();
            return;
        }
      });
      server.keepAliveTimeout = 5_000;
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        (upstream as { port: number }).port = (server.address() as AddressInfo).port;
        (upstream as { address: string }).address = `127.0.0.1:${upstream.port}`;
        resolve();
      });
    });
  await listen(port);
  return upstream;
}
