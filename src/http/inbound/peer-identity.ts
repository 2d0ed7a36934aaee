// http (inbound): the verified SPIFFE ID of a connection's peer, recorded once per TLS
// connection when its certificate has been checked, read per request.
import type { Socket } from 'node:net';

const identities = new WeakMap<Socket, string>();

export function setPeerIdentity(socket: Socket, id: string): void {
  identities.set(socket, id);
}

/** The peer's SPIFFE ID, or undefined for plaintext (or unverified) connections. */
export function peerIdentity(socket: Socket | null | undefined): string | undefined {
  return socket ? identities.get(socket) : undefined;
}
