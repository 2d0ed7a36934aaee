// Test helper: a service made the way users make one, `mesh.createServer(handler)`, listening
// on 127.0.0.1 port 0.
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MeshServer } from '../../src/http/inbound/server.js';
import { createMesh, type Mesh, type MeshConfig } from '../../src/index.js';
import { recordingLogger } from './quiet.js';

export interface MeshService {
  readonly mesh: Mesh;
  readonly server: MeshServer;
  readonly port: number;
  readonly address: string;
  close(): Promise<void>;
}

export async function startMeshService(
  config: MeshConfig,
  handler: (req: IncomingMessage, res: ServerResponse, mesh: Mesh) => void,
  port = 0,
): Promise<MeshService> {
  // Tests run many meshes in one worker: none of them may take over the worker's SIGTERM.
  const withoutSignals = { ...config, inbound: { ...config.inbound, drain: { signals: [], ...config.inbound?.drain } } } as MeshConfig;
  const mesh = await createMesh({ config: withoutSignals, logger: recordingLogger() });
  const server = mesh.createServer((req, res) => handler(req, res, mesh));
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const actual = (server.address() as AddressInfo).port;
  return { mesh, server, port: actual, address: `127.0.0.1:${actual}`, close: () => mesh.close() };
}

/** A handler answering JSON with the peer identity the mesh saw, and the path. */
export function whoami(name: string) {
  return (req: IncomingMessage, res: ServerResponse, mesh: Mesh) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ service: name, peer: mesh.context()?.peer ?? null, path: req.url }));
    });
  };
}
