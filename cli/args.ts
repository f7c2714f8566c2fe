// Command-line parsing for the `rollscale` CLI (pure): a table of commands, each with positional
// arguments and options, and a parser that finds the command (the longest run of leading words
// naming one), then reads its options. Usage errors say what was wrong and where to look.
//
// Options: `--name value`, `--name=value`, `-n value`; booleans `--name`, `--name=false`,
// `--no-name`; lists repeat (`--set a=1 --set b=2`). `--` ends options. `-h`/`--help` anywhere
// asks for the command's help. A pass-through command (e.g. `controller`) gets every word after
// its name untouched, help flags included, so the program it runs answers them.

export type OptionType = 'boolean' | 'string' | 'list';

export interface OptionSpec {
  name: string;
  short?: string;
  type: OptionType;
  /** Placeholder in help, e.g. `ns` for `-n, --namespace <ns>`. */
  value?: string;
  help: string;
  /** Default of a boolean or string option; lists default to []. */
  default?: boolean | string;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  /** The last positional may take every remaining word. */
  variadic?: boolean;
  help: string;
}

export interface CommandSpec {
  /** Words that select the command, e.g. `addon enable`. */
  name: string;
  summary: string;
  /** Paragraphs shown under the usage line. */
  description?: string;
  positionals: PositionalSpec[];
  options: OptionSpec[];
  /** Every word after the command's name goes to it unparsed. */
  passThrough?: boolean;
  examples?: string[];
}

export type OptionValue = boolean | string | string[];

export type ParsedCommandLine =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | {
      kind: 'run';
      command: CommandSpec;
      /** Positional values by name; a variadic one is joined into `rest`. */
      positionals: Record<string, string>;
      /** Words taken by a variadic positional, or everything after a pass-through command. */
      rest: string[];
      options: Record<string, OptionValue>;
      /** Global options (given before or after the command). */
      globals: Record<string, OptionValue>;
    };

export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help to point at, when one was recognized. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export const PROGRAM = 'rollscale';

/** Options every command accepts. */
export const GLOBAL_OPTIONS: OptionSpec[] = [
  {
    name: 'kubeconfig',
    type: 'string',
    value: 'path',
    help: 'kubeconfig to use (default: $KUBECONFIG, else the local cluster .cluster/kubeconfig)',
  },
];

const HELP_WORDS = new Set(['-h', '--help']);

function words(name: string): string[] {
  return name.split(' ').filter(Boolean);
}

/** The command named by the longest run of leading words of `args`. */
function findCommand(
  args: readonly string[],
  commands: readonly CommandSpec[],
): { command: CommandSpec; consumed: number } | undefined {
  let best: { command: CommandSpec; consumed: number } | undefined;
  for (const command of commands) {
    const name = words(command.name);
    if (name.length > args.length) continue;
    if (name.every((word, i) => args[i] === word) && (!best || name.length > best.consumed)) {
      best = { command, consumed: name.length };
    }
  }
  return best;
}

/** Commands whose name starts with `prefix` (a group such as `addon`). */
function commandsUnder(prefix: readonly string[], commands: readonly CommandSpec[]): CommandSpec[] {
  return commands.filter((c) => {
    const name = words(c.name);
    return name.length > prefix.length && prefix.every((word, i) => name[i] === word);
  });
}

function parseBoolean(option: string, text: string): boolean {
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new UsageError(`--${option} expects true or false, got ${JSON.stringify(text)}`);
}

function defaults(options: readonly OptionSpec[]): Record<string, OptionValue> {
  const values: Record<string, OptionValue> = {};
  for (const option of options) {
    if (option.type === 'list') values[option.name] = [];
    else if (option.default !== undefined) values[option.name] = option.default;
    else if (option.type === 'boolean') values[option.name] = false;
  }
  return values;
}

interface OptionReader {
  /** Reads the option at args[index]; returns how many words it took, 0 when it is not an option. */
  read(args: readonly string[], index: number): number;
}

function optionReader(
  specs: readonly OptionSpec[],
  values: Record<string, OptionValue>,
  commandName: string | undefined,
): OptionReader {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const where = commandName ? ` for \`${PROGRAM} ${commandName}\`` : '';
  const helpHint = commandName ? `; see \`${PROGRAM} ${commandName} --help\`` : `; see \`${PROGRAM} --help\``;
  return {
    read(args, index) {
      const arg = args[index] as string;
      let spec: OptionSpec | undefined;
      let inline: string | undefined;
      let label: string;
      if (arg.startsWith('--')) {
        const eq = arg.indexOf('=');
        const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
        inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
        spec = byName.get(name);
        if (!spec && name.startsWith('no-') && inline === undefined) {
          const negated = byName.get(name.slice(3));
          if (negated?.type === 'boolean') {
            values[negated.name] = false;
            return 1;
          }
        }
        label = `--${name}`;
      } else if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) {
        spec = byShort.get(arg.slice(1));
        label = arg;
      } else {
        return 0;
      }
      if (!spec) throw new UsageError(`unknown option ${label}${where}${helpHint}`, commandName);
      if (spec.type === 'boolean') {
        values[spec.name] = inline === undefined ? true : parseBoolean(spec.name, inline);
        return 1;
      }
      let taken = 1;
      if (inline === undefined) {
        const next = args[index + 1];
        if (next === undefined || (next.startsWith('-') && next.length > 1 && !/^-\d/.test(next))) {
          throw new UsageError(`${label} needs a value (${spec.value ?? 'value'})${helpHint}`, commandName);
        }
        inline = next;
        taken = 2;
      }
      if (spec.type === 'list') (values[spec.name] as string[]).push(inline);
      else values[spec.name] = inline;
      return taken;
    },
  };
}

/**
 * Parses `argv` (without node and script). Returns help text to print, a version request, or the
 * command to run with its arguments. Throws UsageError for anything it cannot make sense of.
 */
export function parseCommandLine(
  argv: readonly string[],
  commands: readonly CommandSpec[],
): ParsedCommandLine {
  const globals = defaults(GLOBAL_OPTIONS);
  const globalReader = optionReader(GLOBAL_OPTIONS, globals, undefined);
  // Global options may precede the command words.
  let start = 0;
  while (start < argv.length) {
    const arg = argv[start] as string;
    if (HELP_WORDS.has(arg)) return { kind: 'help', text: rootHelp(commands) };
    if (arg === '--version') return { kind: 'version' };
    if (!arg.startsWith('-')) break;
    start += globalReader.read(argv, start);
  }
  const args = argv.slice(start);
  if (args.length === 0) return { kind: 'help', text: rootHelp(commands) };
  if (args[0] === 'help') {
    const found = findCommand(args.slice(1), commands);
    if (found) return { kind: 'help', text: commandHelp(found.command) };
    const group = commandsUnder(args.slice(1), commands);
    if (args.length > 1 && group.length > 0) return { kind: 'help', text: groupHelp(args.slice(1), group) };
    return { kind: 'help', text: rootHelp(commands) };
  }
  if (args[0] === 'version') return { kind: 'version' };

  const found = findCommand(args, commands);
  if (!found) {
    const leading = args.filter((a) => !a.startsWith('-'));
    const group = commandsUnder(leading.slice(0, 1), commands);
    if (group.length > 0) {
      if (args.some((a) => HELP_WORDS.has(a)))
        return { kind: 'help', text: groupHelp(leading.slice(0, 1), group) };
      const next = leading[1];
      const choices = group.map((c) => words(c.name).slice(1).join(' ')).join(', ');
      throw new UsageError(
        next === undefined
          ? `\`${PROGRAM} ${leading[0]}\` needs a subcommand: ${choices}`
          : `unknown command \`${PROGRAM} ${leading[0]} ${next}\`; ${leading[0]} subcommands: ${choices}`,
      );
    }
    throw new UsageError(
      `unknown command ${JSON.stringify(args[0])}; commands: ${topLevelNames(commands).join(', ')}; ` +
        `see \`${PROGRAM} --help\``,
    );
  }
  const { command, consumed } = found;
  const after = args.slice(consumed);
  if (command.passThrough) {
    return { kind: 'run', command, positionals: {}, rest: after, options: {}, globals };
  }

  const options = defaults(command.options);
  const reader = optionReader([...command.options, ...GLOBAL_OPTIONS], options, command.name);
  const operands: string[] = [];
  let onlyPositionals = false;
  for (let i = 0; i < after.length;) {
    const arg = after[i] as string;
    if (!onlyPositionals && arg === '--') {
      onlyPositionals = true;
      i++;
      continue;
    }
    if (!onlyPositionals && HELP_WORDS.has(arg)) return { kind: 'help', text: commandHelp(command) };
    const taken = onlyPositionals ? 0 : reader.read(after, i);
    if (taken === 0) {
      operands.push(arg);
      i++;
    } else {
      i += taken;
    }
  }
  for (const global of GLOBAL_OPTIONS) {
    if (global.name in options) {
      globals[global.name] = options[global.name] as OptionValue;
      delete options[global.name];
    }
  }

  const positionals: Record<string, string> = {};
  let rest: string[] = [];
  command.positionals.forEach((spec, index) => {
    if (spec.variadic) {
      rest = operands.slice(index);
      return;
    }
    const value = operands[index];
    if (value !== undefined) positionals[spec.name] = value;
    else if (spec.required) {
      throw new UsageError(`\`${PROGRAM} ${command.name}\` needs <${spec.name}>: ${spec.help}`, command.name);
    }
  });
  const lastVariadic = command.positionals.at(-1)?.variadic ?? false;
  if (!lastVariadic && operands.length > command.positionals.length) {
    const extra = operands.slice(command.positionals.length);
    throw new UsageError(
      `unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((w) => JSON.stringify(w)).join(' ')} ` +
        `for \`${PROGRAM} ${command.name}\`; see \`${PROGRAM} ${command.name} --help\``,
      command.name,
    );
  }
  return { kind: 'run', command, positionals, rest, options, globals };
}

// ---------------------------------------------------------------------------------------------
// Help texts

function topLevelNames(commands: readonly CommandSpec[]): string[] {
  return [...new Set(commands.map((c) => words(c.name)[0] as string))];
}

function optionLine(option: OptionSpec): [string, string] {
  const flag = `${option.short ? `-${option.short}, ` : '    '}--${option.name}`;
  const value = option.type === 'boolean' ? '' : ` <${option.value ?? 'value'}>`;
  const repeat = option.type === 'list' ? ' (repeatable)' : '';
  const dflt =
    option.default !== undefined && option.default !== false && option.default !== ''
      ? ` (default ${String(option.default)})`
      : '';
  return [`  ${flag}${value}`, `${option.help}${repeat}${dflt}`];
}

function table(rows: readonly [string, string][]): string {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `${left.padEnd(width)}  ${right}`).join('\n');
}

function usageLine(command: CommandSpec): string {
  const parts = [PROGRAM, command.name];
  for (const p of command.positionals) {
    const shown = p.variadic ? `${p.name}...` : p.name;
    parts.push(p.required ? `<${shown}>` : `[${shown}]`);
  }
  if (command.passThrough) parts.push('[flags]');
  else if (command.options.length > 0) parts.push('[options]');
  return parts.join(' ');
}

export function commandHelp(command: CommandSpec): string {
  const sections = [`${command.summary}\n\nusage: ${usageLine(command)}`];
  if (command.description) sections.push(command.description);
  if (command.positionals.length > 0) {
    sections.push(`arguments:\n${table(command.positionals.map((p) => [`  ${p.name}`, p.help]))}`);
  }
  if (!command.passThrough) {
    const rows = [
      ...command.options,
      ...GLOBAL_OPTIONS,
      { name: 'help', short: 'h', type: 'boolean', help: 'show this help' } as OptionSpec,
    ].map(optionLine);
    sections.push(`options:\n${table(rows)}`);
  }
  if (command.examples?.length)
    sections.push(`examples:\n${command.examples.map((e) => `  ${e}`).join('\n')}`);
  return `${sections.join('\n\n')}\n`;
}

function groupHelp(prefix: readonly string[], group: readonly CommandSpec[]): string {
  const rows = group.map((c): [string, string] => [`  ${PROGRAM} ${c.name}`, c.summary]);
  return `usage: ${PROGRAM} ${prefix.join(' ')} <command>\n\ncommands:\n${table(rows)}\n\nRun \`${PROGRAM} ${prefix.join(' ')} <command> --help\` for a command's options.\n`;
}

export function rootHelp(commands: readonly CommandSpec[]): string {
  const rows = commands.map((c): [string, string] => [`  ${c.name}`, c.summary]);
  return (
    `${PROGRAM}: batch rollouts and intelligent autoscaling for KubeVela/OAM applications\n\n` +
    `usage: ${PROGRAM} <command> [arguments] [options]\n\ncommands:\n${table(rows)}\n\n` +
    `global options:\n${table([...GLOBAL_OPTIONS.map(optionLine), ['  -h, --help', 'show help'], ['      --version', 'print the version']])}\n\n` +
    `Run \`${PROGRAM} <command> --help\` for a command's arguments and options.\n`
  );
}

/** `300`, `300s`, `5m`, `1m30s`, `2h`, `500ms` → milliseconds. Throws UsageError otherwise. */
export function parseDuration(text: string, option: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = /^(?:\d+(?:ms|h|m|s))+$/.test(trimmed) ? trimmed.match(/\d+(?:ms|h|m|s)/g) : null;
  if (!parts) {
    throw new UsageError(
      `--${option} expects a duration such as 90s, 5m or 1m30s, got ${JSON.stringify(text)}`,
    );
  }
  return parts.reduce((sum, part) => {
    const [, value, unit] = /^(\d+)(ms|h|m|s)$/.exec(part) as RegExpExecArray;
    return sum + Number(value) * (units[unit as string] as number);
  }, 0);
}
