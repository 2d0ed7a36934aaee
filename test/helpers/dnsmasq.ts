// Test helper: a real dnsmasq on 127.0.0.1 and an ephemeral port, serving A/AAAA records from a
// hosts file (changed in place: rewrite + SIGHUP) and SRV records from its command line (changed by
// a restart on the same port). Installed by scripts/system-deps.sh; suites using it skip LOUDLY
// when it is missing (see warnIfDnsmasqMissing).
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export const DNSMASQ_BIN = process.env.INMESH_DNSMASQ ?? '/usr/sbin/dnsmasq';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export const hasDnsmasq = isExecutable(DNSMASQ_BIN);

/** Call at the top of a suite that needs dnsmasq: says out loud why it is skipped. */
export function warnIfDnsmasqMissing(suite: string): void {
  if (hasDnsmasq) return;
  console.warn(
    [
      '',
      '################################################################################',
      `# SKIPPED ${suite}: ${DNSMASQ_BIN} is not installed (Debian package dnsmasq-base).`,
      '# Fix: bash scripts/system-deps.sh   (as root; installs the test servers)',
      '################################################################################',
      '',
    ].join('\n'),
  );
}

export interface SrvRecord {
  /** Owner name, e.g. `_payments._tcp.test`. */
  readonly name: string;
  /** Target host name; give it an address under `hosts`. */
  readonly target: string;
  readonly port: number;
  readonly priority?: number;
  readonly weight?: number;
}

export interface DnsRecords {
  /** Name to addresses (IPv4 answers as A, IPv6 as AAAA). */
  readonly hosts?: Readonly<Record<string, readonly string[]>>;
  /** SRV records. They live on dnsmasq's command line: changing them restarts it (same port). */
  readonly srv?: readonly SrvRecord[];
}

export interface DnsmasqOptions extends DnsRecords {
  /** TTL of every answer, in seconds (`--local-ttl`, `--auth-ttl`); default 1. */
  readonly ttlSeconds?: number;
  /** Domain answered locally: unknown names in it are NXDOMAIN, not REFUSED. Default `test`. */
  readonly domain?: string;
}

export interface Dnsmasq {
  readonly port: number;
  /** `127.0.0.1:port`, for `dns.servers`. */
  readonly server: string;
  /** Replaces the records; resolves once dnsmasq serves them. */
  setRecords(records: DnsRecords): Promise<void>;
  /** What dnsmasq logged, for failure messages. */
  log(): string;
  /** Kills dnsmasq and removes its files. Idempotent. */
  stop(): Promise<void>;
}

/** How long dnsmasq gets to start answering, or to re-read its hosts file. */
const READY_TIMEOUT_MS = 5_000;
const PROBE_INTERVAL_MS = 20;
const PORT_ATTEMPTS = 5;
const STOP_TIMEOUT_MS = 2_000;
const LOG_LIMIT = 64 * 1024;

/** A UDP port free right now on 127.0.0.1 (dnsmasq may still lose the race: callers retry). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    return socket.address().port;
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

function hostsFile(records: DnsRecords): string {
  const lines: string[] = [];
  for (const [name, addresses] of Object.entries(records.hosts ?? {})) {
    for (const address of addresses) lines.push(`${address} ${name}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Starts dnsmasq; register `stop` for cleanup right away. */
export async function startDnsmasq(options: DnsmasqOptions = {}): Promise<Dnsmasq> {
  if (!hasDnsmasq) throw new Error(`${DNSMASQ_BIN} is not installed; run: bash scripts/system-deps.sh`);
  const ttl = options.ttlSeconds ?? 1;
  const domain = options.domain ?? 'test';
  const dir = await mkdtemp(join(tmpdir(), 'inmesh-dnsmasq-'));
  const hostsPath = join(dir, 'hosts');
  let srv = options.srv ?? [];
  let child: ChildProcess | undefined;
  let output = '';
  let stopped = false;
  /** Resolvers waiting for dnsmasq to log that it (re-)read the hosts file. */
  const hostsReadWaiters = new Set<() => void>();

  const writeHosts = async (records: DnsRecords) => {
    // Write + rename: dnsmasq must never read a half-written file.
    const tmp = `${hostsPath}.tmp`;
    await writeFile(tmp, hostsFile(records));
    await rename(tmp, hostsPath);
  };

  const argsFor = (port: number) => [
    '--no-daemon',
    '--no-resolv',
    '--no-hosts',
    '--bind-interfaces',
    '--listen-address=127.0.0.1',
    `--port=${port}`,
    '--conf-file=/dev/null',
    '--pid-file=',
    '--log-facility=-',
    `--addn-hosts=${hostsPath}`,
    `--local=/${domain}/`,
    `--local-ttl=${ttl}`,
    `--auth-ttl=${ttl}`,
    ...srv.map((r) => `--srv-host=${r.name},${r.target},${r.port},${r.priority ?? 0},${r.weight ?? 0}`),
  ];

  // If the test process dies without cleanup, do not leave dnsmasq behind.
  const killOnExit = () => child?.kill('SIGKILL');
  process.on('exit', killOnExit);

  let partialLine = '';
  const onOutput = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-LOG_LIMIT);
    const lines = (partialLine + text).split('\n');
    partialLine = lines.pop() ?? '';
    if (lines.some((line) => line.includes(`read ${hostsPath} `))) {
      for (const wake of hostsReadWaiters) wake();
      hostsReadWaiters.clear();
    }
  };

  /** Resolves once dnsmasq answers queries on `port`; rejects if it exits first. */
  const waitUntilAnswering = async (proc: ChildProcess, port: number) => {
    const probe = new Resolver({ timeout: 200, tries: 1 });
    probe.setServers([`127.0.0.1:${port}`]);
    let exited: { code: number | null } | undefined;
    const onExit = (code: number | null) => {
      exited = { code };
    };
    proc.once('exit', onExit);
    try {
      const deadline = performance.now() + READY_TIMEOUT_MS;
      for (;;) {
        if (exited) throw new Error(`dnsmasq exited (code ${exited.code}) before answering:\n${output}`);
        try {
          await probe.resolve4(`inmesh-ready-probe.${domain}`);
          return;
        } catch (err) {
          // Any DNS answer (NXDOMAIN, REFUSED, ...) means it is up; no answer means not yet.
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'ECONNREFUSED' && code !== 'ETIMEOUT') return;
        }
        if (performance.now() > deadline) throw new Error(`dnsmasq did not answer within ${READY_TIMEOUT_MS} ms:\n${output}`);
        await delay(PROBE_INTERVAL_MS);
      }
    } finally {
      proc.off('exit', onExit);
      probe.cancel();
    }
  };

  const launch = async (port: number) => {
    const proc = spawn(DNSMASQ_BIN, argsFor(port), { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.on('data', onOutput);
    proc.stderr?.on('data', onOutput);
    proc.on('error', (err) => {
      output += `\nspawn error: ${err.message}`;
    });
    try {
      await waitUntilAnswering(proc, port);
    } catch (err) {
      await kill();
      throw err;
    }
  };

  const kill = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await kill();
    process.off('exit', killOnExit);
    for (const wake of hostsReadWaiters) wake();
    hostsReadWaiters.clear();
    await rm(dir, { recursive: true, force: true });
  };

  let port = 0;
  try {
    await writeHosts(options);
    let lastError: unknown;
    for (let attempt = 0; attempt < PORT_ATTEMPTS && child === undefined; attempt++) {
      port = await freeUdpPort();
      try {
        await launch(port);
      } catch (err) {
        // Another process took the port between our probe and dnsmasq's bind: try another.
        lastError = err;
        if (!String((err as Error).message).includes('Address already in use')) throw err;
      }
    }
    if (child === undefined) throw lastError;
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    port,
    server: `127.0.0.1:${port}`,
    log: () => output,
    async setRecords(records) {
      if (stopped) throw new Error('dnsmasq was stopped');
      await writeHosts(records);
      const nextSrv = records.srv ?? [];
      if (JSON.stringify(nextSrv) !== JSON.stringify(srv)) {
        srv = nextSrv;
        await kill();
        await launch(port);
        return;
      }
      // dnsmasq re-reads --addn-hosts on SIGHUP and logs "read <path> - N names" when done.
      const reread = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          hostsReadWaiters.delete(done);
          reject(new Error(`dnsmasq did not re-read ${hostsPath} within ${READY_TIMEOUT_MS} ms:\n${output}`));
        }, READY_TIMEOUT_MS);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        hostsReadWaiters.add(done);
      });
      child?.kill('SIGHUP');
      await reread;
    },
    stop,
  };
}
