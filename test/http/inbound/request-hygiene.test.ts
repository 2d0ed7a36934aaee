import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkRequest } from '../../../src/http/inbound/request-hygiene.js';

/**
 * An IncomingMessage as Node's parser leaves it: `rawHeaders` as received, `headers` with names
 * lower-cased and, for Host, the first value kept.
 */
function message(method: string | undefined, url: string | undefined, rawHeaders: string[] = ['Host', 'svc.local']): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    headers[name] ??= rawHeaders[i + 1] as string;
  }
  return { method, url, rawHeaders, headers } as unknown as IncomingMessage;
}

describe('checkRequest: Host', () => {
  it('accepts one Host header', () => {
    expect(checkRequest(message('GET', '/orders', ['Host', 'svc.local', 'Accept', '*/*']))).toBeUndefined();
  });

  it('accepts a request without Host (HTTP/1.0 style) in origin-form', () => {
    expect(checkRequest(message('GET', '/orders', []))).toBeUndefined();
  });

  it.each([
    ['same case, same value', ['Host', 'svc.local', 'Host', 'svc.local']],
    ['different values', ['Host', 'svc.local', 'Host', 'admin.local']],
    ['different case', ['Host', 'svc.local', 'host', 'admin.local']],
    ['odd case', ['hOsT', 'svc.local', 'HOST', 'admin.local']],
    ['apart from each other', ['Host', 'svc.local', 'Accept', '*/*', 'host', 'admin.local']],
    ['three of them', ['Host', 'a', 'Host', 'b', 'Host', 'c']],
  ])('refuses duplicate Host headers (%s)', (_what, rawHeaders) => {
    expect(checkRequest(message('GET', '/orders', rawHeaders))).toBe('duplicate Host header');
  });

  it('does not count headers that only look like Host', () => {
    const raw = ['Host', 'svc.local', 'X-Host', 'a', 'Hosts', 'b', 'Hos', 'c', 'X-Forwarded-Host', 'd', 'Date', 'e'];
    expect(checkRequest(message('GET', '/orders', raw))).toBeUndefined();
  });

  it('does not take a header value "host" for a name', () => {
    expect(checkRequest(message('GET', '/orders', ['Host', 'svc.local', 'X-Name', 'host']))).toBeUndefined();
  });
});

describe('checkRequest: request target', () => {
  it('accepts origin-form and leaves it as it is', () => {
    const req = message('GET', '/orders/1?expand=items');
    expect(checkRequest(req)).toBeUndefined();
    expect(req.url).toBe('/orders/1?expand=items');
  });

  it('accepts asterisk-form for OPTIONS', () => {
    const req = message('OPTIONS', '*');
    expect(checkRequest(req)).toBeUndefined();
    expect(req.url).toBe('*');
  });

  it.each(['GET', 'POST', 'DELETE', 'options', undefined])('refuses asterisk-form for %s', (method) => {
    expect(checkRequest(message(method, '*'))).toBe('asterisk-form request target outside OPTIONS');
  });

  it.each([
    ['http://svc.local/orders?x=1', 'svc.local', '/orders?x=1'],
    ['https://svc.local/orders', 'svc.local', '/orders'],
    ['http://svc.local', 'svc.local', '/'],
    ['http://svc.local/', 'svc.local', '/'],
    ['http://svc.local:8080/a', 'svc.local:8080', '/a'],
    ['http://SVC.Local/A', 'svc.local', '/A'],
    ['http://svc.local/a', 'SVC.LOCAL', '/a'],
    ['http://127.0.0.1:3000/a', '127.0.0.1:3000', '/a'],
    ['http://[::1]:3000/a', '[::1]:3000', '/a'],
    ['http://svc.local/a?', 'svc.local', '/a?'], // kept as sent: normalisation judges the raw path,
  ])('rewrites absolute-form for this host to origin-form: %s (Host %s) -> %s', (url, host, rewritten) => {
    const req = message('GET', url, ['Host', host]);
    expect(checkRequest(req)).toBeUndefined();
    expect(req.url).toBe(rewritten);
  });

  it('treats a default port as absent on either side', () => {
    for (const [url, host] of [
      ['http://svc.local:80/a', 'svc.local'],
      ['http://svc.local/a', 'svc.local:80'],
      ['http://svc.local:80/a', 'svc.local:80'],
      ['https://svc.local/a', 'svc.local:443'],
      ['https://svc.local:443/a', 'svc.local:443'],
    ] as const) {
      const req = message('GET', url, ['Host', host]);
      expect(checkRequest(req), `${url} with Host ${host}`).toBeUndefined();
      expect(req.url).toBe('/a');
    }
    // ...but a default port of another scheme is a port like any other.
    expect(checkRequest(message('GET', 'http://svc.local/a', ['Host', 'svc.local:443']))).toBe(
      'absolute-form request target for another host',
    );
  });

  it.each([
    ['another host', 'http://admin.local/orders', 'svc.local'],
    ['another port', 'http://svc.local:9090/orders', 'svc.local:8080'],
    ['a port the Host lacks', 'http://svc.local:9090/orders', 'svc.local'],
    ['a host that only starts the same', 'http://svc.local.evil.com/orders', 'svc.local'],
    ['userinfo that looks like this host', 'http://svc.local@evil.com/orders', 'svc.local'],
    ['another scheme', 'ftp://svc.local/orders', 'svc.local'],
    ['a non-hierarchical URI', 'mailto:svc.local', 'svc.local'],
    ['authority-form (CONNECT style)', 'svc.local:443', 'svc.local'],
  ])('refuses absolute-form for %s, leaving the target unchanged', (_what, url, host) => {
    const req = message('GET', url, ['Host', host]);
    expect(checkRequest(req)).toBe('absolute-form request target for another host');
    expect(req.url).toBe(url);
  });

  it('refuses absolute-form without a Host header', () => {
    expect(checkRequest(message('GET', 'http://svc.local/orders', []))).toBe('absolute-form request target for another host');
  });

  it.each(['orders', 'orders/1', '', 'http://', 'http://[::1/a', '?x=1', '%2F'])('refuses the invalid target %j', (url) => {
    expect(checkRequest(message('GET', url))).toBe('invalid request target');
  });

  it('refuses a message without a url as an invalid target', () => {
    expect(checkRequest(message('GET', undefined))).toBe('invalid request target');
  });

  it('checks Host before the target', () => {
    expect(checkRequest(message('GET', 'http://admin.local/', ['Host', 'svc.local', 'Host', 'admin.local']))).toBe('duplicate Host header');
  });
});

describe('checkRequest: absolute-form keeps the raw path for normalisation', () => {
  it('does not let URL resolve encoded dot segments before the path checks', () => {
    const req = {
      method: 'GET',
      url: 'http://svc/x/%2e%2e/admin',
      headers: { host: 'svc' },
      rawHeaders: ['Host', 'svc'],
    } as unknown as import('node:http').IncomingMessage;
    expect(checkRequest(req)).toBeUndefined();
    expect(req.url).toBe('/x/%2e%2e/admin');
  });
});
