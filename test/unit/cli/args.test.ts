// The CLI's command-line parsing: which command a line names, its options in every accepted
// spelling, help requests, pass-through commands, and errors that say what to fix.

import {
  UsageError,
  commandHelp,
  parseCommandLine,
  parseDuration,
  rootHelp,
  type ParsedCommandLine,
} from '../../../cli/args.js';
import { addonEnable, commands, status } from '../../../cli/commands.js';

function run(argv: string[]): Extract<ParsedCommandLine, { kind: 'run' }> {
  const parsed = parseCommandLine(argv, commands);
  if (parsed.kind !== 'run') throw new Error(`expected a command to run, got ${parsed.kind}`);
  return parsed;
}

function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(argv, commands);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`${argv.join(' ')} parsed without an error`);
}

describe('parseCommandLine: commands and positionals', () => {
  test('two-word commands win over their group', () => {
    const parsed = run(['addon', 'enable', 'addons/rollscale']);
    expect(parsed.command.name).toBe('addon enable');
    expect(parsed.positionals).toEqual({ addon: 'addons/rollscale' });
    expect(parsed.options).toEqual({
      set: [],
      wait: true,
      timeout: '5m',
      'override-definitions': false,
    });
  });

  test('addon enable takes vela-style key=value words after the addon, and --set anywhere', () => {
    const parsed = run(['addon', 'enable', '--set', 'a=1', 'rollscale', 'b=2', '--set=c.d=x', 'e=3']);
    expect(parsed.positionals).toEqual({ addon: 'rollscale' });
    expect(parsed.rest).toEqual(['b=2', 'e=3']);
    expect(parsed.options['set']).toEqual(['a=1', 'c.d=x']);
  });

  test('booleans: --flag, --flag=false, --no-flag', () => {
    expect(run(['addon', 'disable', 'x', '--force']).options['force']).toBe(true);
    expect(run(['addon', 'disable', 'x', '--force=false']).options['force']).toBe(false);
    expect(run(['addon', 'enable', 'x', '--no-wait']).options['wait']).toBe(false);
    expect(run(['addon', 'enable', 'x', '--wait=true']).options['wait']).toBe(true);
  });

  test('short options and values in both forms', () => {
    expect(run(['status', 'app', '-n', 'demo', '-w']).options).toEqual({ namespace: 'demo', watch: true });
    expect(run(['status', '--namespace=demo', 'app']).options['namespace']).toBe('demo');
    expect(run(['status', 'app']).options).toEqual({ namespace: 'default', watch: false });
  });

  test('-- ends options: a positional may start with a dash', () => {
    expect(run(['status', '--', '-odd-name']).positionals).toEqual({ app: '-odd-name' });
  });

  test('--kubeconfig is global: before the command or among its options', () => {
    expect(run(['--kubeconfig', '/k', 'addon', 'list']).globals['kubeconfig']).toBe('/k');
    const after = run(['status', 'app', '--kubeconfig=/k2']);
    expect(after.globals['kubeconfig']).toBe('/k2');
    expect(after.options).not.toHaveProperty('kubeconfig');
  });

  test('pass-through commands get every following word, help flags included', () => {
    const parsed = run(['controller', '--leader-elect=false', '--namespace', 'x', '--help']);
    expect(parsed.command.name).toBe('controller');
    expect(parsed.rest).toEqual(['--leader-elect=false', '--namespace', 'x', '--help']);
    expect(run(['predict', '--bogus']).rest).toEqual(['--bogus']);
  });
});

describe('parseCommandLine: help and version', () => {
  test('no arguments, --help and help print the overview listing every command', () => {
    for (const argv of [[], ['--help'], ['-h'], ['help']]) {
      const parsed = parseCommandLine(argv, commands);
      expect(parsed).toEqual({ kind: 'help', text: rootHelp(commands) });
    }
    const text = rootHelp(commands);
    for (const command of commands) expect(text).toContain(command.name);
  });

  test("--help after a command, or help <command>, prints that command's help", () => {
    expect(parseCommandLine(['addon', 'enable', '--help'], commands)).toEqual({
      kind: 'help',
      text: commandHelp(addonEnable),
    });
    expect(parseCommandLine(['status', 'x', '-h'], commands)).toEqual({
      kind: 'help',
      text: commandHelp(status),
    });
    expect(parseCommandLine(['help', 'status'], commands)).toEqual({
      kind: 'help',
      text: commandHelp(status),
    });
  });

  test('a group with --help lists its subcommands', () => {
    const parsed = parseCommandLine(['addon', '--help'], commands);
    expect(parsed.kind).toBe('help');
    const text = (parsed as { text: string }).text;
    expect(text).toContain('rollscale addon enable');
    expect(text).toContain('rollscale addon disable');
    expect(text).toContain('rollscale addon list');
    expect(text).not.toContain('rollscale status');
  });

  test('a command help shows usage, arguments, options with defaults, and examples', () => {
    const text = commandHelp(addonEnable);
    expect(text).toContain('usage: rollscale addon enable <addon> [key=value...] [options]');
    expect(text).toMatch(/--set <key=value>\s+.*\(repeatable\)/);
    expect(text).toMatch(/--timeout <duration>\s+.*\(default 5m\)/);
    expect(text).toContain('examples:');
  });

  test('--version and version', () => {
    expect(parseCommandLine(['--version'], commands)).toEqual({ kind: 'version' });
    expect(parseCommandLine(['version'], commands)).toEqual({ kind: 'version' });
  });
});

describe('parseCommandLine: errors name what to fix', () => {
  test('unknown command lists the commands', () => {
    const error = usageError(['deploy']);
    expect(error.message).toContain('unknown command "deploy"');
    expect(error.message).toContain('addon, status, controller, install, predict');
  });

  test('a group without its subcommand, or with a wrong one, lists the subcommands', () => {
    expect(usageError(['addon']).message).toBe('`rollscale addon` needs a subcommand: enable, disable, list');
    expect(usageError(['addon', 'remove']).message).toContain('unknown command `rollscale addon remove`');
  });

  test('a missing positional says what it is', () => {
    const error = usageError(['addon', 'enable']);
    expect(error.message).toContain('needs <addon>');
    expect(error.message).toContain('addons/rollscale');
    expect(error.command).toBe('addon enable');
  });

  test('unknown options point at the command help', () => {
    const error = usageError(['status', 'app', '--follow']);
    expect(error.message).toBe(
      'unknown option --follow for `rollscale status`; see `rollscale status --help`',
    );
  });

  test('an option missing its value', () => {
    expect(usageError(['status', 'app', '-n']).message).toContain('-n needs a value (ns)');
    expect(usageError(['status', 'app', '--namespace', '--watch']).message).toContain(
      '--namespace needs a value',
    );
  });

  test('extra arguments are refused', () => {
    expect(usageError(['status', 'a', 'b']).message).toContain('unexpected argument "b"');
    expect(usageError(['addon', 'list', 'x']).message).toContain('unexpected argument "x"');
  });

  test('booleans take only true or false', () => {
    expect(usageError(['addon', 'disable', 'x', '--force=yes']).message).toBe(
      '--force expects true or false, got "yes"',
    );
  });
});

describe('parseDuration', () => {
  test.each([
    ['90', 90_000],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['500ms', 500],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text, 'timeout')).toBe(ms);
  });

  test.each(['', 'soon', '5 m', '-5s', '1.5m'])('%j is refused', (text) => {
    expect(() => parseDuration(text, 'timeout')).toThrow(/--timeout expects a duration/);
  });
});
