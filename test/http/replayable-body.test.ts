import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { attemptBodySource } from '../../src/http/replayable-body.js';
import { collectGarbage } from '../helpers/gc.js';

type Chunk = Uint8Array | string;

const LIMIT = 64;

/** Everything an attempt would send. */
async function collect(body: unknown): Promise<string> {
  let text = '';
  for await (const chunk of body as AsyncIterable<Chunk>) text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
  return text;
}

/** Reads `n` chunks of an attempt's body, then stops reading (as an abandoned attempt does). */
async function readSome(body: unknown, n: number): Promise<string> {
  const it = (body as AsyncIterable<Chunk>)[Symbol.asyncIterator]();
  let text = '';
  for (let i = 0; i < n; i++) {
    const r = await it.next();
    if (r.done) break;
    text += typeof r.value === 'string' ? r.value : Buffer.from(r.value).toString();
  }
  return text;
}

/** A streamed source that counts its pulls and records whether it was closed. */
function source(chunks: readonly Chunk[]) {
  const state = { pulls: 0, closed: false };
  async function* generate() {
    try {
      for (const chunk of chunks) {
        state.pulls++;
        yield chunk;
      }
    } finally {
      state.closed = true;
    }
  }
  return { iterable: generate(), state };
}

/**
 * A body whose first chunk fills the replay limit exactly and whose second waits for
 * `release`: the point where a pull passes the limit is under the test's control.
 */
function bodyPastLimitOnRelease() {
  let release: (chunk: string) => void = () => {};
  async function* slow() {
    yield 'x'.repeat(LIMIT);
    yield await new Promise<string>((resolve) => {
      release = resolve;
    });
  }
  const body = attemptBodySource(slow(), LIMIT, undefined);
  return { body, release: (chunk: string) => release(chunk) };
}

describe('attemptBodySource', () => {
  describe('static bodies', () => {
    it.each([
      ['a string', 'hello'],
      ['a Buffer', Buffer.from('hello')],
      ['a Uint8Array', new Uint8Array([1, 2, 3])],
    ])('replays %s as it is, attempt after attempt', (_, body) => {
      const source = attemptBodySource(body, LIMIT, undefined);
      expect(source.forAttempt()).toBe(body);
      expect(source.forAttempt()).toBe(body);
      expect(source.replayable).toBe(true);
    });

    it('replays a static body larger than the limit (it is in memory already)', () => {
      const big = 'x'.repeat(LIMIT * 10);
      const source = attemptBodySource(big, LIMIT, big.length);
      expect(source.forAttempt()).toBe(big);
      expect(source.replayable).toBe(true);
    });

    it('gives null for no body', () => {
      expect(attemptBodySource(undefined, LIMIT, undefined).forAttempt()).toBeNull();
      expect(attemptBodySource(null, LIMIT, undefined).forAttempt()).toBeNull();
    });
  });

  describe('streamed bodies under the limit', () => {
    it('pass the whole body to the first attempt', async () => {
      const { iterable } = source(['ab', 'cd', 'ef']);
      const body = attemptBodySource(iterable, LIMIT, undefined);
      expect(await collect(body.forAttempt())).toBe('abcdef');
      expect(body.replayable).toBe(true);
    });

    it('replay fully for a second attempt, reading the source only once', async () => {
      const { iterable, state } = source(['ab', 'cd', 'ef']);
      const body = attemptBodySource(iterable, LIMIT, undefined);
      await collect(body.forAttempt());
      expect(await collect(body.forAttempt())).toBe('abcdef');
      expect(state.pulls).toBe(3);
    });

    it('replay fully after the first attempt stopped reading midway', async () => {
      const { iterable, state } = source(['ab', 'cd', 'ef', 'gh']);
      const body = attemptBodySource(iterable, LIMIT, undefined);
      expect(await readSome(body.forAttempt(), 2)).toBe('abcd');
      expect(body.replayable).toBe(true);
      expect(await collect(body.forAttempt())).toBe('abcdefgh');
      expect(state.pulls).toBe(4);
    });

    it('replay after the first attempt broke out of its loop (return on its iterator)', async () => {
      const { iterable, state } = source(['ab', 'cd', 'ef']);
      const body = attemptBodySource(iterable, LIMIT, undefined);
      for await (const _ of body.forAttempt() as AsyncIterable<Chunk>) break;
      expect(state.closed).toBe(false); // the source is the call's, not the attempt's
      expect(await collect(body.forAttempt())).toBe('abcdef');
    });

    it('share a pull still pending when the first attempt was abandoned', async () => {
      let release: (chunk: string) => void = () => {};
      async function* slow() {
        yield 'ab';
        yield await new Promise<string>((resolve) => {
          release = resolve;
        });
        yield 'ef';
      }
      const body = attemptBodySource(slow(), LIMIT, undefined);
      const first = (body.forAttempt() as AsyncIterable<Chunk>)[Symbol.asyncIterator]();
      await first.next(); // 'ab'
      const abandoned = first.next(); // waits for the source, then the attempt is given up
      const second = collect(body.forAttempt());
      release('cd');
      expect(await second).toBe('abcdef');
      expect((await abandoned).value).toBe('cd');
    });

    it('replay a body of exactly the limit', async () => {
      const half = 'x'.repeat(LIMIT / 2);
      const body = attemptBodySource(source([half, half]).iterable, LIMIT, undefined);
      await collect(body.forAttempt());
      expect(body.replayable).toBe(true);
      expect(await collect(body.forAttempt())).toBe(half + half);
    });

    it('count bytes, not characters, of string chunks', async () => {
      const euro = '€'.repeat(LIMIT / 2); // 3 bytes each: 1.5 x the limit
      const body = attemptBodySource(source([euro]).iterable, LIMIT, undefined);
      await collect(body.forAttempt());
      expect(body.replayable).toBe(false);
    });

    it('replay a Node Readable', async () => {
      const body = attemptBodySource(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), LIMIT, undefined);
      await readSome(body.forAttempt(), 1);
      expect(await collect(body.forAttempt())).toBe('abcd');
    });
  });

  describe('streamed bodies over the limit', () => {
    const chunk = (i: number) => String(i).repeat(LIMIT / 4);
    const overLimit = () => source(Array.from({ length: 8 }, (_, i) => chunk(i))); // 2 x the limit

    it('still pass the whole body to the attempt reading it', async () => {
      const body = attemptBodySource(overLimit().iterable, LIMIT, undefined);
      expect(await collect(body.forAttempt())).toBe(Array.from({ length: 8 }, (_, i) => chunk(i)).join(''));
    });

    it('stop being replayable once the limit is passed', async () => {
      const body = attemptBodySource(overLimit().iterable, LIMIT, undefined);
      const attempt = body.forAttempt();
      await readSome(attempt, 4); // exactly the limit
      expect(body.replayable).toBe(true);
      await readSome(attempt, 1);
      expect(body.replayable).toBe(false);
    });

    it('keep none of the body: a later attempt cannot get it again', async () => {
      const body = attemptBodySource(overLimit().iterable, LIMIT, undefined);
      await collect(body.forAttempt());
      // Replaying would send a body that is not the one the caller gave.
      await expect(collect(body.forAttempt())).rejects.toThrow(/replay/);
    });

    it('let the chunks go once they were sent', async () => {
      const refs: WeakRef<Uint8Array>[] = [];
      async function* chunks() {
        for (let i = 0; i < 8; i++) {
          const c = new Uint8Array(LIMIT / 4).fill(i);
          refs.push(new WeakRef(c));
          yield c;
        }
      }
      const body = attemptBodySource(chunks(), LIMIT, undefined);
      // Read in a function of its own, so that no frame of this test holds the last chunk.
      expect(await collect(body.forAttempt())).toHaveLength(2 * LIMIT);
      await collectGarbage();
      expect(refs.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
      expect(body.replayable).toBe(false); // `body` stays alive up to here
    });

    it('fail a retry whose body passed the limit during its back-off, rather than send part of it', async () => {
      const { body, release } = bodyPastLimitOnRelease();
      const first = (body.forAttempt() as AsyncIterable<Chunk>)[Symbol.asyncIterator]();
      await first.next();
      const abandoned = first.next(); // the first attempt is given up with this pull pending
      expect(body.replayable).toBe(true); // so the retry stage schedules a retry
      release('y');
      await abandoned;
      expect(body.replayable).toBe(false);
      await expect(collect(body.forAttempt())).rejects.toThrow(/can no longer be replayed/);
    });

    it('give a pull that passes the limit to the live attempt, not to the abandoned one that started it', async () => {
      const { body, release } = bodyPastLimitOnRelease();
      const first = (body.forAttempt() as AsyncIterable<Chunk>)[Symbol.asyncIterator]();
      await first.next();
      const abandoned = first.next(); // pending when the first attempt is given up
      const second = collect(body.forAttempt()); // the retry replays the first chunk, then waits too
      release('y');
      expect(await second).toBe(`${'x'.repeat(LIMIT)}y`);
      await expect(abandoned).rejects.toThrow(/can no longer be replayed/);
    });

    it('go straight through when Content-Length says they exceed the limit: one attempt only', async () => {
      const { iterable } = source(['ab']);
      const body = attemptBodySource(iterable, LIMIT, LIMIT + 1);
      expect(body.replayable).toBe(true);
      expect(body.forAttempt()).toBe(iterable);
      expect(body.replayable).toBe(false);
    });
  });

  describe('a source that fails', () => {
    it('fails the attempt, is not replayable, and fails a later attempt the same way', async () => {
      async function* failing() {
        yield 'ab';
        throw new Error('upload aborted');
      }
      const body = attemptBodySource(failing(), LIMIT, undefined);
      await expect(collect(body.forAttempt())).rejects.toThrow('upload aborted');
      expect(body.replayable).toBe(false);
      // Never a truncated body sent as if it were complete.
      await expect(collect(body.forAttempt())).rejects.toThrow('upload aborted');
    });
  });

  describe('dispose', () => {
    it('closes a source not read to the end', async () => {
      const { iterable, state } = source(['ab', 'cd', 'ef']);
      const body = attemptBodySource(iterable, LIMIT, undefined);
      await readSome(body.forAttempt(), 1);
      body.dispose();
      await new Promise((resolve) => setImmediate(resolve));
      expect(state.closed).toBe(true);
      expect(state.pulls).toBe(1);
    });

    it('destroys a Readable source', async () => {
      const readable = new Readable({ read() {} });
      readable.push('ab');
      const body = attemptBodySource(readable, LIMIT, undefined);
      await readSome(body.forAttempt(), 1);
      body.dispose();
      expect(readable.destroyed).toBe(true);
    });

    it('destroys a Readable that went straight through', () => {
      const readable = new Readable({ read() {} });
      const body = attemptBodySource(readable, LIMIT, LIMIT * 2);
      body.forAttempt();
      body.dispose();
      expect(readable.destroyed).toBe(true);
    });

    it('is harmless for static bodies and when called twice', async () => {
      expect(() => attemptBodySource('x', LIMIT, undefined).dispose()).not.toThrow();
      const { iterable } = source(['ab']);
      const body = attemptBodySource(iterable, LIMIT, undefined);
      await collect(body.forAttempt());
      body.dispose();
      expect(() => body.dispose()).not.toThrow();
    });
  });
});
