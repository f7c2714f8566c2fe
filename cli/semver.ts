// Version requirements of addon metadata (`system.kubernetes: ">=1.20"`) checked against the
// cluster's version (pure). Constraints are comparisons (>=, >, <=, <, =, !=) joined by commas
// or spaces, all of which must hold; a bare version means `=`. Missing minor or patch parts
// count as 0; a leading `v` and any pre-release or build suffix are ignored.

export type Version = [number, number, number];

export function parseVersion(text: string): Version | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?$/.exec(text.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    const diff = (a[i] as number) - (b[i] as number);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** Whether `version` meets `constraint`; throws on a constraint it cannot read. */
export function satisfies(version: string, constraint: string): boolean {
  const have = parseVersion(version);
  if (!have) throw new Error(`cannot read version ${JSON.stringify(version)}`);
  const terms = constraint
    .split(/[,\s]+/)
    .map((t) => t.trim())
    .filter(Boolean);
  // Rejoin operators written apart from their version (">= 1.20").
  const joined: string[] = [];
  for (const term of terms) {
    const last = joined.at(-1);
    if (last !== undefined && /^(>=|<=|!=|>|<|=)$/.test(last)) joined[joined.length - 1] = last + term;
    else joined.push(term);
  }
  if (joined.length === 0) return true;
  return joined.every((term) => {
    const match = /^(>=|<=|!=|>|<|=)?(.+)$/.exec(term);
    const want = match ? parseVersion(match[2] as string) : undefined;
    if (!match || !want) throw new Error(`cannot read version requirement ${JSON.stringify(constraint)}`);
    const order = compare(have, want);
    switch (match[1] ?? '=') {
      case '>=':
        return order >= 0;
      case '>':
        return order > 0;
      case '<=':
        return order <= 0;
      case '<':
        return order < 0;
      case '!=':
        return order !== 0;
      default:
        return order === 0;
    }
  });
}
