// http (inbound): request hygiene, checked before anything else reads the request. Node's strict
// parser has already refused malformed messages; these are well-formed requests whose meaning is
// ambiguous between us and the components behind or before us.
import type { IncomingMessage } from 'node:http';

/** Why a request is refused with 400, or undefined when it is acceptable. */
export function checkRequest(req: IncomingMessage): string | undefined {
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
  }
  // Two Host headers: which one routing, policy and the handler each see is anyone's guess.
  if (hosts > 1) return 'duplicate Host header';
  const url = req.url ?? '';
  if (url === '*') return req.method === 'OPTIONS' ? undefined : 'asterisk-form request target outside OPTIONS';
  if (url.startsWith('/')) return undefined;
  // Absolute-form (http://host/path) is legal, but only for this host: anything else is a
  // proxy request, and we are not a proxy.
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return 'invalid request target';
  }
  const host = req.headers.host?.toLowerCase();
  // URL drops the scheme's default port from target.host; drop it from Host too, or
  // `GET http://svc/ HTTP/1.1` with `Host: svc:80` (the same authority) is refused.
  const defaultPort = target.protocol === 'https:' ? ':443' : ':80';
  const authority = host?.endsWith(defaultPort) ? host.slice(0, -defaultPort.length) : host;
  if ((target.protocol !== 'http:' && target.protocol !== 'https:') || authority === undefined || target.host !== authority) {
    return 'absolute-form request target for another host';
  }
  if (target.username || target.password) return 'userinfo in the request target';
  // Keep the path exactly as sent (URL would already have resolved dot segments and encodings),
  // so path normalisation judges it the same way as an origin-form request.
  const afterScheme = url.indexOf('//') + 2;
  const pathStart = url.slice(afterScheme).search(/[/?]/);
  const rest = pathStart === -1 ? '/' : url.slice(afterScheme + pathStart);
  req.url = rest.startsWith('?') ? `/${rest}` : rest;
  return undefined;
}
