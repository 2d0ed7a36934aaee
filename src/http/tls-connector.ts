// http (transport): mTLS connections to a mesh service. Each new connection presents this
// workload's current certificate (rotation needs no new pool) and accepts the server only if its
// certificate is a valid X509-SVID carrying the SPIFFE ID expected of the service; the host name
// plays no part (Node's default check would compare it with DNS SANs).
import type { PeerCertificate } from 'node:tls';
import { buildConnector } from 'undici';
import { InmeshError } from '../errors.js';
import { verifySvid } from '../security/spiffe.js';
import type { TlsSource } from '../security/tls-material.js';

export type Connector = buildConnector.connector;

/** A connector that speaks mTLS and checks the server's SPIFFE ID against `expected`. */
export function meshConnector(source: TlsSource, expected: string, trustDomain: string, connectTimeoutMs: number): Connector {
  let generation = -1;
  let connector: Connector | undefined;
  const checkServerIdentity = (_host: string, cert: PeerCertificate): Error | undefined => {
    const check = verifySvid(cert.raw, trustDomain);
    if (!check.ok) return new InmeshError('ERR_PEER_IDENTITY', `the server's certificate is not a valid SVID: ${check.reason}`);
    if (check.id.uri !== expected) {
      return new InmeshError('ERR_PEER_IDENTITY', `the server presented ${check.id.uri}; expected ${expected}`, {
        details: { expected, presented: check.id.uri },
      });
    }
    return undefined;
  };
  return (options, callback) => {
    const material = source.current;
    if (material.generation !== generation || connector === undefined) {
      generation = material.generation;
      connector = buildConnector({
        secureContext: material.secureContext,
        rejectUnauthorized: true,
        checkServerIdentity,
        timeout: connectTimeoutMs,
        // No SNI: endpoints are addressed by IP (undici sends none then); identity is checked above.
      } as buildConnector.BuildOptions);
    }
    connector(options, callback);
  };
}
