// `rollscale <args>` as a separate process (cli/main.ts under tsx's loader) against a cluster,
// collecting its output: the way a user runs the CLI, for the e2e tests of its commands.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { kubeconfigPath, repoRoot } from './support.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  result: Promise<CliResult>;
  /** Resolves once stdout contains `text` (checked on every chunk). */
  printed(text: string): Promise<void>;
}

export interface CliOptions {
  /** Default: the shared local cluster's. */
  kubeconfig?: string;
  timeoutMs?: number;
}

export function startRollscale(args: string[], options: CliOptions = {}): RunningCli {
  const timeoutMs = options.timeoutMs ?? 110_000;
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'cli', 'main.ts'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, KUBECONFIG: options.kubeconfig ?? kubeconfigPath, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const waiter of [...waiters]) waiter();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`rollscale ${args.join(' ')} did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`),
      );
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  const printed = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!stdout.includes(text)) return;
        waiters.splice(waiters.indexOf(check), 1);
        resolve();
      };
      waiters.push(check);
      check();
      result.then(
        () =>
          stdout.includes(text)
            ? resolve()
            : reject(new Error(`exited without printing ${text}:\n${stdout}\n${stderr}`)),
        reject,
      );
    });
  return { result, printed };
}

/** Runs `rollscale <args>` to its end. */
export function runRollscale(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startRollscale(args, options).result;
}
