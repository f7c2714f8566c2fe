#!/usr/bin/env node
// `rollscale`: the command-line tool (bin of the package; `npx tsx cli/main.ts ...` in a clone).
//
//   addon enable <dir|name> [--set k=v ...]   addon disable <name> [--force]   addon list
//   status <app> [-n ns] [--watch]            controller [flags]   install   predict [flags]
//
// Exit codes: 0 success, 1 the operation failed (the message says why and what to do), 2 the
// command line was wrong, 130 interrupted.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { realClock } from '../controllers/kit/clock.js';
import { AddonError } from './addon-package.js';
import { disableAddon, enableAddon, formatAddonList, listAddons } from './addon.js';
import { UsageError, commandHelp, parseCommandLine, parseDuration, type OptionValue } from './args.js';
import { commands } from './commands.js';
import { checkReachable, connect, describeClusterError, repoRoot } from './kube.js';
import { cliLogger, processOutput, type Output } from './output.js';
import { parseStatusTarget, showStatus } from './status.js';

/** Resolves with the exit code, or `undefined` when the command now owns the process (controller). */
export type CommandResult = number | undefined;

function version(): string {
  try {
    return (
      (JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version?: string }).version ??
      '?'
    );
  } catch {
    return '?';
  }
}

const str = (value: OptionValue | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** Runs the forecasting job (cli/predict/main) as a child process with the same runtime. */
function runPredict(args: readonly string[], output: Output): Promise<number> {
  const here = fileURLToPath(import.meta.url);
  const entry = join(dirname(here), 'predict', `main${extname(here)}`);
  if (!existsSync(entry)) {
    output.err(`rollscale predict: the forecasting job is not there (${entry} is missing)\n`);
    return Promise.resolve(1);
  }
  return new Promise((resolve) => {
    // process.execArgv carries tsx's loader in a development run, nothing after a build.
    const child = spawn(process.execPath, [...process.execArgv, entry, ...args], { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
    child.on('error', (error) => {
      output.err(`rollscale predict: ${error.message}\n`);
      resolve(1);
    });
  });
}

export async function main(
  argv: readonly string[],
  output: Output = processOutput(),
): Promise<CommandResult> {
  let parsed;
  try {
    parsed = parseCommandLine(argv, commands);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    output.err(`rollscale: ${error.message}\n`);
    return 2;
  }
  if (parsed.kind === 'help') {
    output.out(parsed.text);
    return 0;
  }
  if (parsed.kind === 'version') {
    output.out(`rollscale ${version()}\n`);
    return 0;
  }
  const { command, positionals, options, rest, globals } = parsed;
  const kubeconfig = str(globals['kubeconfig']);
  if (kubeconfig) process.env['KUBECONFIG'] = kubeconfig;

  try {
    switch (command.name) {
      case 'controller': {
        const { runAndExit } = await import('../controllers/main.js');
        runAndExit(rest);
        return undefined;
      }
      case 'predict':
        return await runPredict(rest, output);
      case 'addon list': {
        const { client } = connect(kubeconfig);
        await checkReachable(client);
        output.out(formatAddonList(await listAddons({ client, output, root: repoRoot() })));
        return 0;
      }
      case 'addon enable': {
        const timeoutMs = parseDuration(str(options['timeout']) ?? '5m', 'timeout');
        const set = [...(options['set'] as string[]), ...rest];
        // The addon is read and rendered before the cluster is contacted: its errors come first.
        const { client } = connect(kubeconfig);
        await enableAddon(
          { client, output, root: repoRoot(), clock: realClock },
          {
            addon: positionals['addon'] as string,
            set,
            wait: options['wait'] === true,
            timeoutMs,
            overrideDefinitions: options['override-definitions'] === true,
          },
        );
        return 0;
      }
      case 'addon disable': {
        const timeoutMs = parseDuration(str(options['timeout']) ?? '2m', 'timeout');
        const { client } = connect(kubeconfig);
        await checkReachable(client);
        await disableAddon(
          { client, output, root: repoRoot(), clock: realClock },
          {
            name: positionals['name'] as string,
            force: options['force'] === true,
            wait: options['wait'] === true,
            timeoutMs,
          },
        );
        return 0;
      }
      case 'status': {
        let target;
        try {
          target = parseStatusTarget(positionals['app'] as string);
        } catch (error) {
          throw new UsageError((error as Error).message, command.name);
        }
        const { client } = connect(kubeconfig);
        await checkReachable(client);
        const abort = new AbortController();
        const onSigint = () => abort.abort();
        process.once('SIGINT', onSigint);
        try {
          return await showStatus(client, output, {
            target,
            namespace: str(options['namespace']) ?? 'default',
            watch: options['watch'] === true,
            signal: abort.signal,
          });
        } finally {
          process.off('SIGINT', onSigint);
        }
      }
      case 'install': {
        const { client, origin } = connect(kubeconfig);
        await checkReachable(client);
        output.err(`Installing CRDs and definitions into ${client.host} (${origin})\n`);
        const { install } = await import('../controllers/main.js');
        await install(client, realClock, cliLogger(output), repoRoot());
        output.out('Installed. Next: rollscale controller (or rollscale addon enable <addon>)\n');
        return 0;
      }
      default:
        output.err(commandHelp(command));
        return 2;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`rollscale: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof AddonError ? error.message : describeClusterError(error);
    output.err(`rollscale ${command.name}: ${message}\n`);
    return 1;
  }
}

function isEntrypoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isEntrypoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== undefined) process.exit(code);
    },
    (error: unknown) => {
      process.stderr.write(
        `rollscale: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
