// Go duration strings (`15s`, `1m30s`, `500ms`, `3m`), the form Kubernetes and Prometheus
// configuration use for periods and windows.

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/**
 * Milliseconds in a Go duration such as `1h2m3.5s` (a bare `0` is zero). Prometheus' own form
 * additionally allows `d`, `w` and `y`; those are accepted too, so one parser serves both.
 * @throws Error for anything else.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const extended = /^(\d+)(d|w|y)$/.exec(trimmed);
  if (extended) {
    const days = { d: 1, w: 7, y: 365 }[extended[2] as 'd' | 'w' | 'y'];
    return Number(extended[1]) * days * 86_400_000;
  }
  if (trimmed === '') throw new Error('invalid duration ""');
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < trimmed.length) {
    const at = PART.lastIndex;
    const match = PART.exec(trimmed);
    if (!match || match.index !== at) throw new Error(`invalid duration ${JSON.stringify(text)}`);
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return total;
}
