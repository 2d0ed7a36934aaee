// Test helper: certificates made by inmesh's own dev CA (the code behind `inmesh ca`), in a
// temp dir, as the files a mesh config points at.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, type IssueOptions, issueSvid, type PemPair } from '../../src/security/dev-ca.js';

export interface Pki {
  readonly dir: string;
  readonly ca: PemPair;
  readonly caFile: string;
  /** Issues a certificate for `id` and writes NAME.pem / NAME.key; returns the paths. */
  issue(name: string, id: string, extra?: Partial<Omit<IssueOptions, 'ca' | 'id'>>): Promise<{ cert: string; key: string; pem: PemPair }>;
  /** identity.tls for a workload issued earlier under `name`. */
  tls(name: string): { ca: string; cert: string; key: string };
  cleanup(): Promise<void>;
}

export async function createPki(trustDomain = 'example.org'): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'inmesh-pki-'));
  const ca = await createCa({ trustDomain });
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, ca.cert);
  return {
    dir,
    ca,
    caFile,
    async issue(name, id, extra = {}) {
      const pem = await issueSvid({ ca, id, ...extra });
      const cert = join(dir, `${name}.pem`);
      const key = join(dir, `${name}.key`);
      await writeFile(key, pem.key);
      await writeFile(cert, pem.cert);
      return { cert, key, pem };
    },
    tls: (name) => ({ ca: caFile, cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
