// http (inbound): the server behind `mesh.createServer(handler)`. Plain HTTP (`off`), mTLS only
// (`strict`), or both on one port (`permissive`: the first byte of a connection says whether it
// is a TLS handshake). Client certificates are checked as X509-SVIDs of the trust domain; the
// peer's SPIFFE ID is then known to authorization and to the request context. Certificates
// rotate without a restart (`setSecureContext`: new connections use the new material).
//
// Drain: readiness goes false, the listener stops accepting, idle keep-alive connections close,
// requests in progress finish (up to a timeout), then the rest are closed.
import { EventEmitter } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { verifySvid } from '../../security/spiffe.js';
import type { TlsMaterial, TlsSource } from '../../security/tls-material.js';
import type { Logger } from '../../util/logger.js';
import { setPeerIdentity } from './peer-identity.js';

export type MtlsMode = 'strict' | 'permissive' | 'off';

export interface ServerTimeouts {
  /** Time to receive the request headers (Node's default is 60 s; slow-loris bait). */
  readonly headersMs: number;
  /** Time to receive the whole request. */
  readonly requestMs: number;
  /** Idle time before a keep-alive connection is closed. */
  readonly keepAliveMs: number;
}

export interface InboundServerOptions {
  readonly mode: MtlsMode;
  readonly tls: TlsSource | undefined;
  readonly trustDomain: string | undefined;
  readonly timeouts: ServerTimeouts;
  readonly logger: Logger;
  /** Called when a TLS peer is refused (for metrics). */
  readonly onPeerRefused?: (reason: string) => void;
}

/** The TLS handshake's first byte (a handshake record). */
const TLS_HANDSHAKE = 0x16;
/** A connection that sends nothing for this long in permissive mode is closed. */
const SNIFF_TIMEOUT_MS = 10_000;

function tlsOptions(material: TlsMaterial) {
  return {
    ca: material.ca,
    cert: material.cert,
    key: material.key,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2' as const,
  };
}

/** A server made by mesh.createServer: a Node server plus drain. */
export interface MeshServer extends NetServer {
  /** The HTTP server that handles requests (the same object unless permissive). */
  readonly httpServer: HttpServer;
  /** Requests being handled now. */
  readonly inFlight: number;
  /**
   * Stops accepting, lets requests in progress finish (up to `timeoutMs`), closes idle and then
   * all remaining connections. Resolves when every connection is closed.
   */
  drain(timeoutMs: number): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Creates the inbound server for a mode; the caller wraps `handler` with the inbound policies. */
export function createInboundServer(handler: Handler, options: InboundServerOptions): MeshServer {
  const { mode, tls, timeouts, logger } = options;
  if (mode !== 'off' && !tls) throw new Error(`mTLS mode ${mode} needs identity.tls`);
  let inFlight = 0;
  const counted: Handler = (req, res) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) idle.emit('idle');
    });
    handler(req, res);
  };
  const idle = new EventEmitter();

  const httpOptions = {
    insecureHTTPParser: false,
    requestTimeout: timeouts.requestMs,
    headersTimeout: timeouts.headersMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // Node >= 18.x: refuse requests whose headers exceed 16 KiB (the default, said aloud).
    maxHeaderSize: 16 * 1024,
  };

  const plain: HttpServer | undefined = mode !== 'strict' ? createHttpServer(httpOptions, counted) : undefined;
  const secure: HttpsServer | undefined =
    mode !== 'off' && tls ? createHttpsServer({ ...httpOptions, ...tlsOptions(tls.current) }, counted) : undefined;

  for (const server of [plain, secure]) {
    server?.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      // A malformed request: answer when the socket can still take it, never crash.
      if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
      const status =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? '408 Request Timeout'
            : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    });
  }

  if (secure && tls) {
    const trustDomain = options.trustDomain;
    secure.on('secureConnection', (socket: TLSSocket) => {
      const cert = socket.getPeerCertificate();
      const check = cert?.raw ? verifySvid(cert.raw, trustDomain) : ({ ok: false, reason: 'no client certificate' } as const);
      if (!check.ok) {
        logger.warn({ reason: check.reason, remote: socket.remoteAddress }, 'TLS peer refused');
        options.onPeerRefused?.(check.reason);
        socket.destroy();
        return;
      }
      setPeerIdentity(socket, check.id.uri);
    });
    secure.on('tlsClientError', (err: Error) => options.onPeerRefused?.(err.message));
    tls.on('rotate', (material) => secure.setSecureContext(tlsOptions(material)));
  }

  let server: NetServer;
  let httpServer: HttpServer;
  if (mode === 'permissive' && plain && secure) {
    httpServer = plain;
    server = createNetServer({ pauseOnConnect: true }, (socket) => {
      const timer = setTimeout(() => socket.destroy(), SNIFF_TIMEOUT_MS);
      socket.once('readable', () => {
        clearTimeout(timer);
        const first = socket.read(1) as Buffer | null;
        if (first === null) return void socket.destroy();
        socket.unshift(first);
        // A TLS handshake starts with a handshake record; anything else is plaintext HTTP.
        (first[0] === TLS_HANDSHAKE ? secure : plain).emit('connection', socket);
        socket.resume();
      });
      socket.on('error', () => socket.destroy());
    });
    // Node's HTTP servers start tracking connections (for headersTimeout, requestTimeout and
    // closeIdleConnections) on 'listening'; these two never listen themselves.
    server.on('listening', () => {
      plain.emit('listening');
      secure.emit('listening');
    });
  } else {
    httpServer = (secure ?? plain) as HttpServer;
    server = httpServer;
  }

  const meshServer = server as MeshServer;
  Object.defineProperty(meshServer, 'httpServer', { value: httpServer });
  Object.defineProperty(meshServer, 'inFlight', { get: () => inFlight });
  Object.defineProperty(meshServer, 'drain', {
    value: async (timeoutMs: number) => {
      const inner = [plain, secure].filter((s): s is HttpServer => s !== undefined);
      const closed = new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
      });
      for (const s of inner) if (s !== server) s.close();
      for (const s of inner) s.closeIdleConnections();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          timer.unref();
          idle.once('idle', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      for (const s of inner) s.closeAllConnections();
      await closed;
    },
  });
  return meshServer;
}
