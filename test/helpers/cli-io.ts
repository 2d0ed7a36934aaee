import type { CliIo } from '../../src/cli/command.js';

/** What a CLI run printed, and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a CLI entry point with its output captured instead of written to the terminal. */
export async function runCaptured(run: (io: CliIo) => Promise<number>): Promise<CliRun> {
  const captured = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (text) => {
      captured.stdout += text;
    },
    stderr: (text) => {
      captured.stderr += text;
    },
  };
  const code = await run(io);
  return { code, ...captured };
}
