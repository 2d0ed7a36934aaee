// cli: `inmesh demo`: runs the demo (src/demo/demo.ts) on loopback and exits 0 when every call
// succeeded.
import { runDemo } from '../demo/demo.js';
import { type CliIo, type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, parseCommandArgs } from './command.js';

const HELP = `Usage: inmesh demo [--requests N] [--rate N] [--concurrency N] [--keep] [--admin-port N]

Starts four instances of a "payments" service on 127.0.0.1 and a caller that uses the mesh, then
drives calls through it while it applies a 90/10 split and a header canary (a config reload),
kills one instance and makes another fail. Ends with a summary table. Needs no external server.

Options:
  --requests N      calls to make (default 4000)
  --rate N          calls per second (default 800)
  --concurrency N   calls in flight (default 16)
  --keep            after the run, keep serving light traffic so the dashboard stays alive
                    (Ctrl-C to stop)
  --admin-port N    port of the caller's admin server and dashboard (default: any free port)
`;

function positiveInt(value: unknown, name: string, io: CliIo): number | undefined | null {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    io.stderr(`inmesh demo: --${name} must be a positive integer, got ${JSON.stringify(value)}\n`);
    return null;
  }
  return n;
}

export const demoCommand: Command = {
  summary: 'Run the mesh demo on loopback (no external server needed)',
  help: HELP,
  async run(args, io) {
    const parsed = parseCommandArgs('demo', { help: HELP }, args, io, {
      requests: { type: 'string' },
      rate: { type: 'string' },
      concurrency: { type: 'string' },
      keep: { type: 'boolean' },
      'admin-port': { type: 'string' },
    });
    if (typeof parsed === 'number') return parsed;
    const requests = positiveInt(parsed.values.requests, 'requests', io);
    const rate = positiveInt(parsed.values.rate, 'rate', io);
    const concurrency = positiveInt(parsed.values.concurrency, 'concurrency', io);
    const adminPort = positiveInt(parsed.values['admin-port'], 'admin-port', io);
    if (requests === null || rate === null || concurrency === null || adminPort === null) return EXIT_USAGE;
    const result = await runDemo({
      ...(requests ? { requests } : {}),
      ...(rate ? { rate } : {}),
      ...(concurrency ? { concurrency } : {}),
      ...(adminPort ? { adminPort } : {}),
      keep: parsed.values.keep === true,
      out: { write: io.stdout, isTTY: io.isTTY === true },
    });
    return result.failed === 0 ? EXIT_OK : EXIT_FAILURE;
  },
};
