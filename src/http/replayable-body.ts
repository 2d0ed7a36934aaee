// http (retry stage): request bodies that can be sent again. Strings and buffers replay as they
// are. A streamed body is passed through to the first attempt while its chunks are kept, up to
// `limit` bytes, so a retry can send them again and then go on reading the source. Past the
// limit nothing more is kept and the call can no longer be retried: memory stays bounded.

/** A request body as each attempt needs it. */
export interface AttemptBodySource {
  /** True while another attempt could still send the whole body. */
  readonly replayable: boolean;
  /** The body to give to the next attempt. */
  forAttempt(): unknown;
  /** Releases the source when the call is over. */
  dispose(): void;
}

class StaticBody implements AttemptBodySource {
  readonly replayable = true;
  constructor(private readonly body: unknown) {}
  forAttempt() {
    return this.body;
  }
  dispose() {}
}

/** A body that cannot be replayed at all (its size is known to exceed the limit). */
class OneShotBody implements AttemptBodySource {
  replayable = true;
  constructor(private readonly body: unknown) {}
  forAttempt() {
    // Replayable only until an attempt has taken it.
    this.replayable = false;
    return this.body;
  }
  dispose() {
    (this.body as { destroy?: () => void }).destroy?.();
  }
}

type Chunk = Uint8Array | string;

class StreamBody implements AttemptBodySource {
  /** Chunks kept for replay; `#chunks[0]` is chunk number `#dropped` of the body. */
  readonly #chunks: Chunk[] = [];
  #dropped = 0;
  #bytes = 0;
  #overflow = false;
  #done = false;
  /** The source's failure: a later attempt must fail too, not take the end of the source for the end of the body. */
  #error: { readonly err: unknown } | undefined;
  #filling: Promise<void> | null = null;
  /** Attempts that asked for the body; only the latest may read on once past the limit. */
  #readers = 0;
  readonly #source: AsyncIterator<Chunk>;

  constructor(
    private readonly body: AsyncIterable<Chunk>,
    private readonly limit: number,
  ) {
    this.#source = body[Symbol.asyncIterator]();
  }

  get replayable(): boolean {
    return !this.#overflow && this.#error === undefined;
  }

  // One pull from the source at a time, shared by whoever waits: an abandoned attempt may still
  // be awaiting a chunk that the next attempt must see too.
  #fill(): Promise<void> {
    // A failed async generator reports `done` from then on: without this a retry would send the
    // chunks kept so far as if they were the whole body.
    if (this.#error) return Promise.reject(this.#error.err);
    this.#filling ??= this.#source.next().then(
      (result) => {
        this.#filling = null;
        if (result.done) {
          this.#done = true;
          return;
        }
        const chunk = result.value;
        this.#bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
        if (this.#bytes > this.limit && !this.#overflow) {
          this.#overflow = true;
          // Nothing kept can be replayed any more, so let it go now rather than hold up to
          // `limit` bytes until the call ends. The latest attempt has read every chunk kept
          // before this one; only it reads on (see forAttempt).
          this.#dropped += this.#chunks.length;
          this.#chunks.length = 0;
        }
        this.#chunks.push(chunk);
      },
      (err) => {
        this.#filling = null;
        this.#error = { err };
        throw err;
      },
    );
    return this.#filling;
  }

  forAttempt(): AsyncIterable<Chunk> {
    const self = this;
    const reader = ++this.#readers;
    return (async function* read() {
      let i = 0;
      for (;;) {
        const k = i - self.#dropped;
        // An abandoned attempt woken by a pull it left pending must not take a chunk from the
        // attempt that replaced it; and chunks dropped past the limit cannot be sent again.
        if (k < 0 || (self.#overflow && reader !== self.#readers)) {
          throw new Error('the request body is past the replay limit and can no longer be replayed');
        }
        if (k < self.#chunks.length) {
          const chunk = self.#chunks[k] as Chunk;
          i++;
          // Past the limit a chunk goes once delivered: no retry can use it, and memory stays at
          // one chunk however long the upload.
          if (self.#overflow) {
            self.#chunks.shift();
            self.#dropped++;
          }
          yield chunk;
          continue;
        }
        if (self.#done) return;
        await self.#fill();
      }
    })();
  }

  dispose(): void {
    if (!this.#done) {
      this.#done = true;
      this.#source.return?.().catch(() => {});
      (this.body as { destroy?: () => void }).destroy?.();
    }
  }
}

function isStreaming(body: unknown): body is AsyncIterable<Chunk> {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' &&
    !(body instanceof Uint8Array)
  );
}

/** The source of every call without a body. */
export const NO_BODY = new StaticBody(null);

/**
 * Wraps a request body for retries. `contentLength` (from the request headers, read only for
 * streamed bodies) lets a body known to exceed the limit go straight through, unwrapped.
 */
export function attemptBodySource(
  body: unknown,
  limit: number,
  contentLength: number | undefined | (() => number | undefined),
): AttemptBodySource {
  if (body === null || body === undefined) return NO_BODY;
  if (!isStreaming(body)) return new StaticBody(body);
  const length = typeof contentLength === 'function' ? contentLength() : contentLength;
  if (length !== undefined && length > limit) return new OneShotBody(body);
  return new StreamBody(body, limit);
}
