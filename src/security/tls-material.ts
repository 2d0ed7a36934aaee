// security: this workload's TLS material (CA bundle, certificate, key) read from files, watched,
// and rotated without a restart: new connections use the new material, existing ones finish on
// the old. A rotation is only taken when the new files form a valid identity (key matches
// certificate, certificate is an SVID of the trust domain, not expired); otherwise the old
// material stays and a warning says why. A warning is also given when a third of the
// certificate's lifetime is left (Istio rotates workload certificates at that point).

import { X509Certificate } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import { InmeshError } from '../errors.js';
import type { Logger } from '../util/logger.js';
import { type FileWatch, watchFile } from '../util/watch-file.js';
import { loadX509Parser, type SpiffeId, verifySvid } from './spiffe.js';

export interface TlsFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** One generation of TLS material. */
export interface TlsMaterial {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** This workload's identity, from its certificate. */
  readonly id: SpiffeId;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Increments with each rotation. */
  readonly generation: number;
  /** For clients: CA + own certificate and key. */
  readonly secureContext: SecureContext;
}

export interface TlsSourceEvents {
  rotate: [TlsMaterial];
  rejected: [Error];
  expiring: [{ id: string; notAfter: Date; secondsLeft: number }];
}

/** Debounce for rotations: cert and key are usually written one after the other. */
const ROTATE_DEBOUNCE_MS = 200;
/** Fraction of the lifetime left when the expiry warning fires. */
const WARN_AT_REMAINING = 1 / 3;

async function readMaterial(files: TlsFiles, trustDomain: string, generation: number): Promise<TlsMaterial> {
  const read = async (path: string, what: string) => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      throw new InmeshError('ERR_TLS_MATERIAL', `cannot read the ${what} file ${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  const [ca, cert, key] = await Promise.all([read(files.ca, 'CA'), read(files.cert, 'certificate'), read(files.key, 'key')]);
  let secureContext: SecureContext;
  let leaf: X509Certificate;
  try {
    // Also proves the key belongs to the certificate ("key values mismatch" otherwise).
    secureContext = createSecureContext({ ca, cert, key, minVersion: 'TLSv1.2' });
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new InmeshError('ERR_TLS_MATERIAL', `invalid TLS material (${files.cert}, ${files.key}): ${(err as Error).message}`, {
      cause: err,
    });
  }
  await loadX509Parser();
  const check = verifySvid(leaf.raw, trustDomain);
  if (!check.ok) throw new InmeshError('ERR_TLS_MATERIAL', `${files.cert} is not a valid SVID: ${check.reason}`);
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() <= Date.now()) throw new InmeshError('ERR_TLS_MATERIAL', `${files.cert} expired at ${notAfter.toISOString()}`);
  if (notBefore.getTime() > Date.now()) {
    throw new InmeshError('ERR_TLS_MATERIAL', `${files.cert} is not valid before ${notBefore.toISOString()} (check the clock)`);
  }
  // Peers would refuse a certificate that no CA of the bundle signed: refuse it here, where the
  // message can say why, rather than rotate into an identity nobody accepts.
  if (!signedByBundle(leaf, ca)) throw new InmeshError('ERR_TLS_MATERIAL', `${files.cert} is not signed by a CA in ${files.ca}`);
  return { ca, cert, key, id: check.id, notBefore, notAfter, generation, secureContext };
}

function signedByBundle(leaf: X509Certificate, bundle: string): boolean {
  const pems = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  for (const pem of pems) {
    try {
      const ca = new X509Certificate(pem);
      if (leaf.checkIssued(ca) && leaf.verify(ca.publicKey)) return true;
    } catch {
      // A malformed bundle entry signs nothing.
    }
  }
  return false;
}

export class TlsSource extends EventEmitter<TlsSourceEvents> {
  #current: TlsMaterial;
  readonly #watches: FileWatch[] = [];
  #expiryTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Reloads started, and the number of the one whose material is current (0: the first load). */
  #reloadsStarted = 0;
  #appliedReload = 0;

  private constructor(
    private readonly files: TlsFiles,
    private readonly trustDomain: string,
    private readonly logger: Logger,
    material: TlsMaterial,
  ) {
    super();
    this.#current = material;
    this.#armExpiryWarning();
  }

  /** Loads the material (ERR_TLS_MATERIAL when it is unusable) and starts watching the files. */
  static async load(files: TlsFiles, trustDomain: string, logger: Logger, watch = true): Promise<TlsSource> {
    const source = new TlsSource(files, trustDomain, logger, await readMaterial(files, trustDomain, 1));
    if (watch) {
      for (const path of new Set([files.ca, files.cert, files.key])) {
        source.#watches.push(watchFile(path, () => void source.reload(), ROTATE_DEBOUNCE_MS));
      }
    }
    return source;
  }

  get current(): TlsMaterial {
    return this.#current;
  }

  /** Re-reads the files; keeps the current material if the new files are not a valid identity. */
  async reload(): Promise<boolean> {
    if (this.#closed) return false;
    const seq = ++this.#reloadsStarted;
    let next: TlsMaterial;
    try {
      next = await readMaterial(this.files, this.trustDomain, this.#current.generation + 1);
    } catch (err) {
      if (this.#closed) return false;
      this.logger.warn({ err, cert: this.files.cert }, 'TLS material rejected; keeping the current certificate');
      this.emit('rejected', err as Error);
      return false;
    }
    if (this.#closed) return false;
    // Each watched file triggers its own reload, so reloads overlap. One that started earlier read
    // older files: if a later one has already rotated, taking these would roll the identity back.
    if (seq < this.#appliedReload) return false;
    if (next.cert === this.#current.cert && next.key === this.#current.key && next.ca === this.#current.ca) return false;
    this.#appliedReload = seq;
    // Numbered when taken, not when read: two overlapping reloads must not both be generation n+1.
    this.#current = { ...next, generation: this.#current.generation + 1 };
    this.#armExpiryWarning();
    this.logger.info({ id: next.id.uri, notAfter: next.notAfter.toISOString() }, 'TLS certificate rotated');
    this.emit('rotate', this.#current);
    return true;
  }

  /** Seconds until the current certificate expires. */
  get secondsToExpiry(): number {
    return (this.#current.notAfter.getTime() - Date.now()) / 1000;
  }

  #armExpiryWarning(): void {
    if (this.#expiryTimer) clearTimeout(this.#expiryTimer);
    const { notBefore, notAfter, id } = this.#current;
    const lifetime = notAfter.getTime() - notBefore.getTime();
    const warnAt = notAfter.getTime() - lifetime * WARN_AT_REMAINING;
    const warn = () => {
      const secondsLeft = Math.round(this.secondsToExpiry);
      this.logger.warn({ id: id.uri, notAfter: notAfter.toISOString(), secondsLeft }, 'TLS certificate expires soon; rotate it');
      this.emit('expiring', { id: id.uri, notAfter, secondsLeft });
    };
    // Already due: still a timer, not a microtask. A microtask queued in the constructor ran before
    // `TlsSource.load()` resolved, so no listener could ever see the event, and close() could not
    // cancel it.
    const delay = Math.max(0, warnAt - Date.now());
    // setTimeout holds at most ~24.8 days; longer lifetimes are re-armed on the way.
    this.#expiryTimer = setTimeout(() => (delay > 2 ** 31 - 1 ? this.#armExpiryWarning() : warn()), Math.min(delay, 2 ** 31 - 1));
    this.#expiryTimer.unref();
  }

  close(): void {
    this.#closed = true;
    if (this.#expiryTimer) clearTimeout(this.#expiryTimer);
    for (const watch of this.#watches) watch.close();
  }
}
