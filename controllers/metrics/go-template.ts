// The two bits of Go text processing Prometheus-Adapter rules are written in, so existing rules
// work unchanged:
//
// - templates with `<<` `>>` delimiters (`metricsQuery`, `resources.template`, resource rules'
//   `containerQuery`). Rules in the wild only reference fields (`<<.Series>>`,
//   `<<.LabelMatchers>>`, `<<.GroupBy>>`, `<<.LabelValuesByName.namespace>>`, `<<.Resource>>`),
//   with Go's `-` whitespace trimming; that is what is supported. Anything else is rejected when
//   the configuration is loaded, with a message naming the action, rather than mis-rendered.
// - regexp replacement templates (`name.as`), expanded as Go's Regexp.Expand does: `$1`,
//   `${1}`, `$name`, `${name}`, `$$`; a `$name` takes the longest run of letters, digits and
//   underscores, so `$1_total` means the group named `1_total` (empty), as in Go.

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

type Piece = { text: string } | { path: string[]; action: string };

export interface CompiledTemplate {
  readonly source: string;
  render(data: Record<string, unknown>): string;
}

const FIELD_PATH = /^\.(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)?$/;

/** Parses a `<< >>` template once; `render` can then be called for every query. */
export function compileTemplate(source: string): CompiledTemplate {
  const pieces: Piece[] = [];
  let rest = source;
  let trimNext = false;
  while (rest.length > 0) {
    const open = rest.indexOf('<<');
    let text = open < 0 ? rest : rest.slice(0, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open < 0) {
      pieces.push({ text });
      break;
    }
    const close = rest.indexOf('>>', open + 2);
    if (close < 0) throw new TemplateError(`unclosed action in template ${JSON.stringify(source)}`);
    let inner = rest.slice(open + 2, close);
    if (/^-\s/.test(inner)) {
      text = text.replace(/\s+$/, '');
      inner = inner.slice(1);
    }
    if (/\s-$/.test(inner)) {
      trimNext = true;
      inner = inner.slice(0, -1);
    }
    pieces.push({ text });
    const action = inner.trim();
    if (/^\/\*[\s\S]*\*\/$/.test(action)) {
      // A comment renders nothing.
    } else if (FIELD_PATH.test(action)) {
      pieces.push({ path: action === '.' ? [] : action.slice(1).split('.'), action });
    } else {
      throw new TemplateError(
        `unsupported template action <<${inner}>> in ${JSON.stringify(source)}: only field references such as <<.Series>> are supported`,
      );
    }
    rest = rest.slice(close + 2);
  }
  return {
    source,
    render(data) {
      return pieces
        .map((piece) => ('text' in piece ? piece.text : renderField(piece, data, source)))
        .join('');
    },
  };
}

function renderField(
  piece: { path: string[]; action: string },
  data: Record<string, unknown>,
  source: string,
): string {
  let value: unknown = data;
  for (let i = 0; i < piece.path.length; i++) {
    const key = piece.path[i] as string;
    if (value instanceof Map) {
      // Go prints a missing map entry as "<no value>".
      if (!value.has(key)) return '<no value>';
      value = value.get(key);
    } else if (
      value !== null &&
      typeof value === 'object' &&
      Object.prototype.hasOwnProperty.call(value, key)
    ) {
      value = (value as Record<string, unknown>)[key];
    } else {
      throw new TemplateError(
        `can't evaluate field ${key} in <<${piece.action}>> of template ${JSON.stringify(source)}`,
      );
    }
  }
  return formatValue(value);
}

/** Go's default formatting of the values templates see. */
function formatValue(value: unknown): string {
  if (value === undefined || value === null) return '<no value>';
  if (Array.isArray(value)) return `[${value.map(formatValue).join(' ')}]`;
  if (value instanceof Map) {
    const entries = [...value.entries()].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1));
    return `map[${entries.map(([k, v]) => `${String(k)}:${formatValue(v)}`).join(' ')}]`;
  }
  return String(value);
}

// ---------------------------------------------------------------------------------------------
// Regular expressions

/**
 * A Go (RE2) regular expression as a JavaScript one: `(?P<name>…)` becomes `(?<name>…)` and a
 * leading flag group such as `(?i)` becomes a flag. The rest of RE2's syntax is a subset of
 * JavaScript's as far as series names go.
 */
export function compileGoRegExp(source: string): RegExp {
  let pattern = source.replace(/\(\?P</g, '(?<');
  let flags = '';
  const leading = /^\(\?([imsU]+)\)/.exec(pattern);
  if (leading) {
    const wanted = leading[1] as string;
    if (wanted.includes('U'))
      throw new TemplateError(`unsupported regexp flag U in ${JSON.stringify(source)}`);
    flags = wanted;
    pattern = pattern.slice(leading[0].length);
  }
  try {
    return new RegExp(pattern, flags);
  } catch (error) {
    throw new TemplateError(
      `invalid regular expression ${JSON.stringify(source)}: ${(error as Error).message}`,
    );
  }
}

/** Go's Regexp.Expand of `template` for one match. */
export function expandMatch(template: string, match: RegExpExecArray): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    if (template[i] === '{') {
      const end = template.indexOf('}', i + 1);
      const candidate = end < 0 ? '' : template.slice(i + 1, end);
      if (end >= 0 && /^[A-Za-z0-9_]+$/.test(candidate)) {
        name = candidate;
        i = end + 1;
      }
    } else {
      const run = /^[A-Za-z0-9_]+/.exec(template.slice(i));
      if (run) {
        name = run[0];
        i += name.length;
      }
    }
    if (name === undefined) {
      // Not a valid reference: Go copies the dollar sign and carries on.
      out += '$';
      continue;
    }
    if (/^\d+$/.test(name)) {
      const index = Number(name);
      out += index < match.length ? (match[index] ?? '') : '';
    } else {
      out += match.groups?.[name] ?? '';
    }
  }
  return out;
}
