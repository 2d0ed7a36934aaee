// cli: `inmesh ca init` and `inmesh ca issue`: a development CA and short-lived X509-SVIDs, so
// nobody needs openssl to try mTLS. Keys are written readable by their owner only.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseDuration } from '../config/units.js';
import { createCa, issueSvid } from '../security/dev-ca.js';
import { parseSpiffeId } from '../security/spiffe.js';
import { type CliIo, type Command, EXIT_OK, EXIT_USAGE, parseCommandArgs } from './command.js';

const HELP = `Usage:
  inmesh ca init  --trust-domain DOMAIN --out DIR [--ttl 365d]
  inmesh ca issue --id SPIFFE_ID --out DIR [--ca DIR] [--ttl 24h] [--name NAME] [--dns NAME]...

init   creates a development CA for a SPIFFE trust domain: DIR/ca.pem and DIR/ca.key.
issue  issues an X509-SVID (ECDSA P-256) for a SPIFFE ID, signed by the CA in --ca (default:
       --out): DIR/NAME.pem and DIR/NAME.key, NAME being the ID's last path segment.
       Short-lived by default (24 h, as Istio's workload certificates); re-issue to rotate:
       a running mesh picks up the new files by itself.

Example:
  inmesh ca init --trust-domain example.org --out certs/
  inmesh ca issue --id spiffe://example.org/sa/orders --out certs/

Options:
  --ttl D    validity: 30m, 24h, 7d ... (default 365d for init, 24h for issue)
`;

/** Durations for certificates also take days (`7d`). */
function ttl(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const text = String(value);
  const days = /^(\d+)d$/.exec(text);
  return days ? Number(days[1]) * 86_400_000 : parseDuration(text);
}

async function writeKey(path: string, pem: string): Promise<void> {
  await writeFile(path, pem, { mode: 0o600 });
}

async function init(values: Record<string, unknown>, io: CliIo): Promise<number> {
  const trustDomain = values['trust-domain'];
  const out = values.out;
  if (typeof trustDomain !== 'string' || typeof out !== 'string') {
    io.stderr(`inmesh ca init: --trust-domain and --out are required\n\n${HELP}`);
    return EXIT_USAGE;
  }
  const ca = await createCa({ trustDomain, ttlMs: ttl(values.ttl, 365 * 86_400_000) });
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'ca.pem'), ca.cert);
  await writeKey(join(out, 'ca.key'), ca.key);
  io.stdout(`created CA for spiffe://${trustDomain}: ${join(out, 'ca.pem')}, ${join(out, 'ca.key')}\n`);
  return EXIT_OK;
}

async function issue(values: Record<string, unknown>, io: CliIo): Promise<number> {
  const id = values.id;
  const out = values.out;
  if (typeof id !== 'string' || typeof out !== 'string') {
    io.stderr(`inmesh ca issue: --id and --out are required\n\n${HELP}`);
    return EXIT_USAGE;
  }
  const parsed = parseSpiffeId(id);
  if (!parsed?.path) {
    io.stderr(`inmesh ca issue: ${JSON.stringify(id)} is not a workload SPIFFE ID (spiffe://trust-domain/path)\n`);
    return EXIT_USAGE;
  }
  const caDir = typeof values.ca === 'string' ? values.ca : out;
  const ca = { cert: await readFile(resolve(caDir, 'ca.pem'), 'utf8'), key: await readFile(resolve(caDir, 'ca.key'), 'utf8') };
  const name = typeof values.name === 'string' ? values.name : (parsed.path.split('/').pop() as string);
  const dnsNames = (values.dns as string[] | undefined) ?? [];
  const svid = await issueSvid({ ca, id, ttlMs: ttl(values.ttl, 86_400_000), dnsNames });
  await mkdir(out, { recursive: true });
  // Key first, certificate last: a watcher that reloads on the certificate sees a matching pair.
  await writeKey(join(out, `${name}.key`), svid.key);
  await writeFile(join(out, `${name}.pem`), svid.cert);
  io.stdout(`issued ${id}: ${join(out, `${name}.pem`)}, ${join(out, `${name}.key`)}\n`);
  return EXIT_OK;
}

export const caCommand: Command = {
  summary: 'Create a development CA and issue SPIFFE certificates (no openssl needed)',
  help: HELP,
  async run(args, io) {
    const [action, ...rest] = args;
    const parsed = parseCommandArgs('ca', { help: HELP }, rest, io, {
      'trust-domain': { type: 'string' },
      out: { type: 'string' },
      id: { type: 'string' },
      ca: { type: 'string' },
      ttl: { type: 'string' },
      name: { type: 'string' },
      dns: { type: 'string', multiple: true },
    });
    if (typeof parsed === 'number') return parsed;
    if (action === 'init') return init(parsed.values, io);
    if (action === 'issue') return issue(parsed.values, io);
    if (action === '--help' || action === '-h') {
      io.stdout(HELP);
      return EXIT_OK;
    }
    io.stderr(`inmesh ca: expected "init" or "issue"\n\n${HELP}`);
    return EXIT_USAGE;
  },
};
