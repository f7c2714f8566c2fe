// Command-line flags in the style Kubernetes components use: `--name value`, `--name=value`, and
// for booleans `--name`, `--name=false` or `--no-name`. (node:util parseArgs cannot take
// `--leader-elect=false`, which every controller deployment manifest writes.)

export type FlagDefinition =
  | { type: 'boolean'; default: boolean; help: string }
  | { type: 'string'; default: string; help: string }
  | { type: 'integer'; default: number; help: string; min?: number };

export type FlagValues<S extends Record<string, FlagDefinition>> = {
  [N in keyof S]: S[N]['default'];
};

export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

function parseBoolean(name: string, text: string): boolean {
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new FlagError(`--${name} expects true or false, got ${JSON.stringify(text)}`);
}

/** Parses `argv` (without node and script) against `spec`; throws FlagError on anything unknown. */
export function parseFlags<S extends Record<string, FlagDefinition>>(
  argv: readonly string[],
  spec: S,
): FlagValues<S> {
  const values: Record<string, boolean | string | number> = {};
  for (const [name, def] of Object.entries(spec)) values[name] = def.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new FlagError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    let name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    let inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    let def = spec[name];
    if (!def && name.startsWith('no-') && inline === undefined && spec[name.slice(3)]?.type === 'boolean') {
      name = name.slice(3);
      def = spec[name];
      inline = 'false';
    }
    if (!def) throw new FlagError(`unknown flag --${name}`);
    if (def.type === 'boolean') {
      values[name] = inline === undefined ? true : parseBoolean(name, inline);
      continue;
    }
    if (inline === undefined) {
      const next = argv[i + 1];
      if (next === undefined) throw new FlagError(`--${name} needs a value`);
      inline = next;
      i++;
    }
    if (def.type === 'string') {
      values[name] = inline;
    } else {
      const n = Number(inline);
      if (!Number.isInteger(n))
        throw new FlagError(`--${name} expects an integer, got ${JSON.stringify(inline)}`);
      if (def.min !== undefined && n < def.min) throw new FlagError(`--${name} must be at least ${def.min}`);
      values[name] = n;
    }
  }
  return values as FlagValues<S>;
}

/** One line per flag, for --help. */
export function flagUsage(spec: Record<string, FlagDefinition>): string {
  return Object.entries(spec)
    .map(
      ([name, def]) =>
        `  --${name}${def.type === 'boolean' ? '' : ` <${def.type}>`}  ${def.help} (default ${JSON.stringify(def.default)})`,
    )
    .join('\n');
}
