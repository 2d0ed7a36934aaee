// Issue #4 §1: traces through @opentelemetry/api, checked with the real OTel SDK and an
// in-memory exporter: a SERVER span per inbound request, a CLIENT span per attempt (resends
// carry http.request.resend_count) under an INTERNAL span for the call, W3C context across
// services, and inbound context reaching outbound calls without the handler forwarding headers.
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMesh, type Mesh } from '../../src/index.js';
import { waitFor } from '../helpers/load.js';
import { type MeshService, startMeshService } from '../helpers/mesh-service.js';
import { recordingLogger } from '../helpers/quiet.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const exporter = new InMemorySpanExporter();

describe('tracing', () => {
  let c: Upstream;
  let b: MeshService;
  let a: Mesh;
  let dead: Upstream;

  beforeAll(async () => {
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );

    c = await startUpstream('c');
    dead = await startUpstream('dead');
    await dead.stop();
    // B calls C from its handler with a plain mesh call: no header forwarding by the application.
    b = await startMeshService({ service: 'b', discovery: [{ static: { c: [c.address] } }] }, async (_req, res, mesh) => {
      const r = await request('http://c/inner', { dispatcher: mesh.dispatcher });
      await r.body.dump();
      res.end('ok');
    });
    a = await createMesh({
      logger: recordingLogger(),
      config: {
        service: 'a',
        discovery: [{ static: { b: [b.address], flaky: [dead.address, c.address] } }],
        services: {
          flaky: {
            loadBalancer: 'round-robin',
            retries: { attempts: 3, on: ['connect-failure'], backoff: { base: '1ms', max: '1ms' } },
            circuitBreaker: false,
            outlierDetection: false,
          },
        },
      },
    });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await c?.stop();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  beforeEach(() => exporter.reset());

  const spans = () => exporter.getFinishedSpans();
  const byKind = (kind: SpanKind) => spans().filter((s) => s.kind === kind);
  const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

  it('links spans across two services, and the inbound context reaches outbound calls by itself', async () => {
    await trace.getTracer('test').startActiveSpan('root', async (root) => {
      const res = await request('http://b/start', { dispatcher: a.dispatcher });
      await res.body.dump();
      root.end();
    });
    await waitFor(() => byKind(SpanKind.SERVER).length === 1 && byKind(SpanKind.CLIENT).length === 2, 'the spans of both hops');
    const root = spans().find((s) => s.name === 'root') as ReadableSpan;
    const [server] = byKind(SpanKind.SERVER) as [ReadableSpan];
    const clients = byKind(SpanKind.CLIENT);
    const aToB = clients.find((s) => s.attributes['server.address'] === 'b') as ReadableSpan;
    const bToC = clients.find((s) => s.attributes['server.address'] === 'c') as ReadableSpan;

    // One trace, parent -> child all the way down. The call from A may retry (the default policy
    // allows two attempts), so its attempt hangs under an INTERNAL span for the call.
    for (const s of [server, aToB, bToC]) expect(s.spanContext().traceId).toBe(root.spanContext().traceId);
    const call = byKind(SpanKind.INTERNAL).find((s) => s.attributes['server.address'] === 'b') as ReadableSpan;
    expect(parentOf(call)).toBe(root.spanContext().spanId);
    expect(parentOf(aToB)).toBe(call.spanContext().spanId);
    expect(parentOf(server)).toBe(aToB.spanContext().spanId);
    const bCall = byKind(SpanKind.INTERNAL).find((s) => s.attributes['server.address'] === 'c') as ReadableSpan;
    expect(parentOf(bCall)).toBe(server.spanContext().spanId);
    expect(parentOf(bToC)).toBe(bCall.spanContext().spanId);

    // Semantic conventions.
    expect(aToB.name).toBe('GET');
    expect(aToB.attributes).toMatchObject({ 'http.request.method': 'GET', 'server.address': 'b', 'http.response.status_code': 200 });
    expect(aToB.attributes['network.peer.address']).toBe('127.0.0.1');
    expect(server.attributes).toMatchObject({ 'http.request.method': 'GET', 'http.response.status_code': 200, 'url.path': '/start' });
  });

  it('puts a CLIENT span per attempt under one INTERNAL span, resends counted', async () => {
    // Round-robin from a random start: call until one call needed a retry.
    let retried = false;
    for (let i = 0; i < 10 && !retried; i++) {
      exporter.reset();
      const res = await request('http://flaky/x', { dispatcher: a.dispatcher });
      await res.body.dump();
      retried = byKind(SpanKind.CLIENT).length === 2;
    }
    expect(retried).toBe(true);
    const [internal] = byKind(SpanKind.INTERNAL) as [ReadableSpan];
    const attempts = byKind(SpanKind.CLIENT).sort(
      (x, y) => Number(x.attributes['http.request.resend_count'] ?? 0) - Number(y.attributes['http.request.resend_count'] ?? 0),
    );
    expect(internal.name).toBe('GET flaky');
    for (const attempt of attempts) expect(parentOf(attempt)).toBe(internal.spanContext().spanId);
    expect(attempts[0]?.attributes['http.request.resend_count']).toBeUndefined();
    expect(attempts[0]?.attributes['error.type']).toBeDefined();
    expect(attempts[1]?.attributes['http.request.resend_count']).toBe(1);
    expect(attempts[1]?.attributes['http.response.status_code']).toBe(200);
    expect(internal.attributes['http.response.status_code']).toBe(200);
  });

  it('puts the attempt right under the caller when the call can neither retry nor be routed', async () => {
    const single = await createMesh({
      logger: recordingLogger(),
      config: { discovery: [{ static: { c: [c.address] } }], services: { c: { retries: { attempts: 1 } } } },
    });
    try {
      await trace.getTracer('test').startActiveSpan('root', async (root) => {
        const res = await request('http://c/direct', { dispatcher: single.dispatcher });
        await res.body.dump();
        root.end();
      });
      const root = spans().find((s) => s.name === 'root') as ReadableSpan;
      expect(byKind(SpanKind.INTERNAL).filter((s) => s.name !== 'root')).toEqual([]);
      expect(parentOf(byKind(SpanKind.CLIENT)[0] as ReadableSpan)).toBe(root.spanContext().spanId);
    } finally {
      await single.close();
    }
  });

  it('tells which origins it dials, for instrumentation-undici to leave alone', async () => {
    const res = await request('http://b/start', { dispatcher: a.dispatcher });
    await res.body.dump();
    expect(a.ownsOrigin(`http://${b.address}`)).toBe(true);
    expect(a.ownsOrigin('http://example.com')).toBe(false);
  });

  it('carries baggage to the next service', async () => {
    const bag = propagation.createBaggage({ tenant: { value: 'acme' } });
    await context.with(propagation.setBaggage(context.active(), bag), async () => {
      const res = await request('http://b/start', { dispatcher: a.dispatcher });
      await res.body.dump();
    });
    expect(c.hits.at(-1)?.headers.baggage).toContain('tenant=acme');
    expect(c.hits.at(-1)?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });
});
