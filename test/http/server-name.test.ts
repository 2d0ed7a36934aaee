import { describe, expect, it } from 'vitest';
import { serverNameOf } from '../../src/http/stages/transport.js';

// The transport hands undici the TLS server name it would otherwise derive from the Host header
// on every request; it must be the same name undici derives (its host part, none for an IP).
describe('serverNameOf', () => {
  it('is the host part of a name authority', () => {
    expect(serverNameOf('payments')).toBe('payments');
    expect(serverNameOf('payments:8443')).toBe('payments');
    expect(serverNameOf('Payments.internal:80')).toBe('Payments.internal');
  });
  it('is undefined for IP addresses, as undici leaves them without SNI', () => {
    expect(serverNameOf('10.0.0.7')).toBeUndefined();
    expect(serverNameOf('10.0.0.7:8080')).toBeUndefined();
    expect(serverNameOf('[::1]:8443')).toBeUndefined();
    expect(serverNameOf('')).toBeUndefined();
  });
});
