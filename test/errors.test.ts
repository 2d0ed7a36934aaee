import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { request, fetch as undiciFetch } from 'undici';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { ERROR_CODES, type ErrorCode, InmeshError, isInmeshError } from '../src/errors.js';
import * as api from '../src/index.js';
import { createMesh, type Mesh } from '../src/index.js';

const DOCS = new URL('../docs/errors.md', import.meta.url);

/** The codes docs/errors.md lists in its summary table, with their status. */
function summaryTable(markdown: string): Map<string, number> {
  const rows = new Map<string, number>();
  for (const match of markdown.matchAll(/^\| \[`(ERR_[A-Z0-9_]+)`\]\(#([a-z0-9_]+)\) \| (\d{3}) \|/gm)) {
    expect(match[2], `anchor of ${match[1]}`).toBe(match[1]?.toLowerCase());
    rows.set(match[1] as string, Number(match[3]));
  }
  return rows;
}

/** The `## ERR_...` sections of docs/errors.md, with the status and fix each states. */
function sections(markdown: string): Map<string, { status: number | undefined; fix: boolean }> {
  const out = new Map<string, { status: number | undefined; fix: boolean }>();
  const parts = markdown.split(/^## /m).slice(1);
  for (const part of parts) {
    const heading = part.slice(0, part.indexOf('\n')).trim();
    const status = /^\*\*HTTP status:\*\* (\d{3})$/m.exec(part)?.[1];
    out.set(heading, { status: status === undefined ? undefined : Number(status), fix: /^\*\*Fix:\*\* \S/m.test(part) });
  }
  return out;
}

describe('the error table', () => {
  const codes = Object.keys(ERROR_CODES);

  it('names codes ERR_AREA_WHAT with a message, a gateway status and a hint', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^ERR_[A-Z0-9]+(_[A-Z0-9]+)+$/);
      expect(entry.message.length, code).toBeGreaterThan(0);
      expect(entry.hint.length, code).toBeGreaterThan(0);
      expect(entry.status >= 400 && entry.status <= 599, `${code} status ${entry.status}`).toBe(true);
    }
  });

  it('is what the public ErrorCode type allows, and is exported', () => {
    expectTypeOf<ErrorCode>().toEqualTypeOf<keyof typeof ERROR_CODES>();
    expectTypeOf<api.ErrorCode>().toEqualTypeOf<ErrorCode>();
    expectTypeOf<InmeshError['code']>().toEqualTypeOf<ErrorCode>();
    expect(api.ERROR_CODES).toBe(ERROR_CODES);
    expect(api.InmeshError).toBe(InmeshError);
    // Each code constructs, and carries its table entry.
    for (const code of codes as ErrorCode[]) {
      const err = new InmeshError(code);
      expect(err.code).toBe(code);
      expect(err.status).toBe(ERROR_CODES[code].status);
      expect(err.message).toBe(ERROR_CODES[code].message);
    }
  });

  it('agrees with docs/errors.md: every code documented with its status and a fix, nothing extra', async () => {
    const markdown = await readFile(DOCS, 'utf8');
    const table = summaryTable(markdown);
    const documented = sections(markdown);
    const sorted = (list: Iterable<string>) => [...list].sort();

    expect(sorted(table.keys()), 'codes in the summary table').toEqual(sorted(codes));
    expect(sorted(documented.keys()), 'codes with a ## section').toEqual(sorted(codes));
    for (const code of codes as ErrorCode[]) {
      expect(table.get(code), `${code} status in the summary table`).toBe(ERROR_CODES[code].status);
      expect(documented.get(code)?.status, `${code} status in its section`).toBe(ERROR_CODES[code].status);
      expect(documented.get(code)?.fix, `${code} has a **Fix:** line`).toBe(true);
    }
  });
});

describe('InmeshError', () => {
  it('has a code, the status of its code, a message, details and the cause kept as-is', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const err = new InmeshError('ERR_UPSTREAM_CONNECT', 'payments endpoint 127.0.0.1:1: refused', {
      cause,
      details: { service: 'payments' },
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('InmeshError');
    expect(err.code).toBe('ERR_UPSTREAM_CONNECT');
    expect(err.status).toBe(503);
    expect(err.message).toBe('payments endpoint 127.0.0.1:1: refused');
    expect(err.cause).toBe(cause);
    expect(err.details).toEqual({ service: 'payments' });
    expect(err.stack).toContain('InmeshError');
  });

  it('has no cause property unless one is given', () => {
    const err = new InmeshError('ERR_MESH_CLOSED');
    expect('cause' in err).toBe(false);
    expect(err.message).toBe(ERROR_CODES.ERR_MESH_CLOSED.message);
    expect(err.details).toBeUndefined();
  });

  it('isInmeshError checks the class and optionally the code', () => {
    const err = new InmeshError('ERR_NO_SERVICE');
    expect(isInmeshError(err)).toBe(true);
    expect(isInmeshError(err, 'ERR_NO_SERVICE')).toBe(true);
    expect(isInmeshError(err, 'ERR_NO_ENDPOINTS')).toBe(false);
    expect(isInmeshError(new Error('x'))).toBe(false);
    expect(isInmeshError(undefined)).toBe(false);
    expect(isInmeshError('ERR_NO_SERVICE')).toBe(false);
  });

  describe('loaded twice (ESM and CJS builds in one process)', () => {
    afterEach(() => {
      vi.resetModules();
    });

    it('instanceof holds across both copies of the class, both ways', async () => {
      vi.resetModules();
      const second = (await import('../src/errors.js')) as typeof import('../src/errors.js');
      // A second module instance: another class object, as a CJS copy would be.
      expect(second.InmeshError).not.toBe(InmeshError);

      const fromSecond = new second.InmeshError('ERR_CIRCUIT_OPEN');
      expect(fromSecond instanceof InmeshError).toBe(true);
      expect(isInmeshError(fromSecond, 'ERR_CIRCUIT_OPEN')).toBe(true);

      const fromFirst = new InmeshError('ERR_CIRCUIT_OPEN');
      expect(fromFirst instanceof second.InmeshError).toBe(true);
      expect(second.isInmeshError(fromFirst, 'ERR_CIRCUIT_OPEN')).toBe(true);
    });

    it('the brand is Symbol.for("inmesh.error"), and nothing else passes', () => {
      expect(new Error('plain') instanceof InmeshError).toBe(false);
      expect({ code: 'ERR_NO_SERVICE' } instanceof InmeshError).toBe(false);
      const branded = { [Symbol.for('inmesh.error')]: true };
      expect(branded instanceof InmeshError).toBe(true);
      // The brand is not enumerable: it does not show in logs or JSON.
      expect(Object.keys(new InmeshError('ERR_NO_SERVICE'))).not.toContain(Symbol.for('inmesh.error'));
      expect(JSON.stringify(new InmeshError('ERR_NO_SERVICE'))).not.toContain('inmesh.error');
    });
  });
});

describe('mesh errors reach a fetch caller as TypeError("fetch failed") with the InmeshError as cause', () => {
  let mesh: Mesh | undefined;
  afterEach(async () => {
    await mesh?.close();
    mesh = undefined;
  });

  /** A loopback port nothing listens on: bound, then closed. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  async function rejection(promise: Promise<unknown>): Promise<Error> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'the call should have failed').toBeInstanceOf(Error);
    return err as Error;
  }

  it('ERR_UPSTREAM_CONNECT for a service whose only endpoint refuses connections', async () => {
    const port = await closedPort();
    mesh = await createMesh({
      config: {
        discovery: [{ static: { payments: [`127.0.0.1:${port}`] } }],
        services: { payments: { retries: { attempts: 1 } } },
      },
    });

    for (const call of [
      () => mesh!.fetch('http://payments/charge'),
      () => undiciFetch('http://payments/charge', { dispatcher: mesh!.dispatcher }),
    ]) {
      const err = await rejection(call());
      expect(err).toBeInstanceOf(TypeError);
      expect(err.message).toBe('fetch failed');
      expect(err.cause).toBeInstanceOf(InmeshError);
      const cause = err.cause as InmeshError;
      expect(cause.code).toBe('ERR_UPSTREAM_CONNECT');
      expect(cause.status).toBe(503);
      expect(cause.message).toContain('payments');
      // Ours wraps the socket error, which is kept.
      expect((cause.cause as { code?: string }).code).toBe('ECONNREFUSED');
    }
  });

  it('ERR_NO_SERVICE for a host that is not a service when passthrough is off', async () => {
    mesh = await createMesh({ config: { outbound: { passthrough: false }, services: { payments: {} } } });

    const err = await rejection(mesh.fetch('http://elsewhere.example/'));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe('fetch failed');
    expect(isInmeshError(err.cause, 'ERR_NO_SERVICE')).toBe(true);
    expect((err.cause as InmeshError).status).toBe(502);
    expect((err.cause as InmeshError).message).toContain('elsewhere.example');

    // Node's own fetch (its bundled undici) with the mesh dispatcher delivers it the same way.
    const native = await rejection(fetch('http://elsewhere.example/', { dispatcher: mesh.dispatcher } as unknown as RequestInit));
    expect(native).toBeInstanceOf(TypeError);
    expect(isInmeshError(native.cause, 'ERR_NO_SERVICE')).toBe(true);

    // Dispatcher APIs other than fetch throw the InmeshError itself.
    const direct = await rejection(request('http://elsewhere.example/', { dispatcher: mesh.dispatcher }));
    expect(isInmeshError(direct, 'ERR_NO_SERVICE')).toBe(true);
  });

  it('ERR_MESH_CLOSED after close()', async () => {
    const closed = await createMesh({ config: { outbound: { passthrough: false } } });
    await closed.close();
    const err = await rejection(closed.fetch('http://payments/'));
    expect(err).toBeInstanceOf(TypeError);
    expect(isInmeshError(err.cause, 'ERR_MESH_CLOSED')).toBe(true);
  });
});
