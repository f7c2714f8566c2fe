// The hostile input corpus (test/fixtures/bad/*.yaml): loading the cases, applying them, and
// judging each outcome against the expectations its header states.
//
// Header lines (comments at the top of each file):
//   # Hostile input: <what the case is>.
//   # expect: refused /<regex>/                     the last document is refused by the API server
//                                                   (kubectl's message matches); earlier ones apply
//   # expect: warning <Kind>/<name> <Reason> /<regex>/
//                                                   a Warning Event on that object
//   # expect: condition <Kind>/<name> <Type>=<Status> <Reason> /<regex>/
//                                                   a status condition on that object
//   # expect: field <Kind>/<name> <dotted.path>=<value>
//                                                   a status (or spec) field reaches that value
// Every expectation of a case must hold. `${repeat:<char>:<count>}` in a document expands to the
// character repeated `count` times (1 MiB values without 1 MiB files).
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type Expectation =
  | { type: 'refused'; message: RegExp }
  | { type: 'warning'; kind: string; name: string; reason: string; message: RegExp }
  | {
      type: 'condition';
      kind: string;
      name: string;
      condition: string;
      status: string;
      reason: string;
      message: RegExp;
    }
  | { type: 'field'; kind: string; name: string; path: string; value: string };

export interface CorpusCase {
  id: string;
  file: string;
  about: string;
  expectations: Expectation[];
  /** The YAML documents, expanded, in file order. */
  documents: string[];
}

function parseRegex(text: string, where: string): RegExp {
  const match = /^\/(.*)\/([a-z]*)$/.exec(text.trim());
  if (!match) throw new Error(`${where}: expected /regex/, got ${text}`);
  return new RegExp(match[1] ?? '', match[2]);
}

function parseObjectRef(text: string, where: string): { kind: string; name: string } {
  const slash = text.indexOf('/');
  if (slash <= 0) throw new Error(`${where}: expected Kind/name, got ${text}`);
  return { kind: text.slice(0, slash), name: text.slice(slash + 1) };
}

export function parseExpectation(line: string, where: string): Expectation {
  const [type, ...rest] = line.trim().split(/\s+/);
  const tail = (n: number) => line.trim().split(/\s+/).slice(n).join(' ');
  switch (type) {
    case 'refused':
      return { type, message: parseRegex(tail(1), where) };
    case 'warning': {
      const [ref, reason] = rest;
      if (!ref || !reason) throw new Error(`${where}: warning needs Kind/name Reason /regex/`);
      return { type, ...parseObjectRef(ref, where), reason, message: parseRegex(tail(3), where) };
    }
    case 'condition': {
      const [ref, typeStatus, reason] = rest;
      const [condition, status] = (typeStatus ?? '').split('=');
      if (!ref || !condition || !status || !reason)
        throw new Error(`${where}: condition needs Kind/name Type=Status Reason /regex/`);
      return {
        type,
        ...parseObjectRef(ref, where),
        condition,
        status,
        reason,
        message: parseRegex(tail(4), where),
      };
    }
    case 'field': {
      const [ref, assignment] = rest;
      const eq = (assignment ?? '').indexOf('=');
      if (!ref || eq <= 0) throw new Error(`${where}: field needs Kind/name path=value`);
      return {
        type,
        ...parseObjectRef(ref, where),
        path: (assignment ?? '').slice(0, eq),
        value: (assignment ?? '').slice(eq + 1),
      };
    }
    default:
      throw new Error(`${where}: unknown expectation ${line}`);
  }
}

export function expand(text: string): string {
  return text.replace(/\$\{repeat:(.):(\d+)\}/g, (_, char: string, count: string) =>
    char.repeat(Number(count)),
  );
}

export function parseCase(file: string, text: string): CorpusCase {
  const header = text.split('\n').filter((line) => line.startsWith('#'));
  const about = (header.find((l) => l.startsWith('# Hostile input:')) ?? '')
    .replace('# Hostile input:', '')
    .trim();
  const expectations = header
    .filter((l) => l.startsWith('# expect:'))
    .map((l) => parseExpectation(l.replace('# expect:', ''), basename(file)));
  if (!about) throw new Error(`${basename(file)}: no "# Hostile input:" line`);
  if (expectations.length === 0) throw new Error(`${basename(file)}: no "# expect:" line`);
  const refused = expectations.filter((e) => e.type === 'refused');
  if (refused.length > 0 && refused.length !== expectations.length) {
    throw new Error(`${basename(file)}: a refused case expects nothing else`);
  }
  const documents = parseAllDocuments(text)
    .filter((doc) => doc.contents !== null)
    .map((doc) => expand(doc.toString()));
  return { id: basename(file, '.yaml'), file, about, expectations, documents };
}

export function loadCorpus(dir: string): CorpusCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => parseCase(join(dir, f), readFileSync(join(dir, f), 'utf8')));
}

// ---- judging ----

export interface ObservedCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
export interface ObservedEvent {
  type: string;
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string };
}
/** What the namespace shows: objects by `Kind/name`, and its Events. */
export interface Observation {
  objects: Map<string, Record<string, unknown>>;
  events: ObservedEvent[];
}

export interface ApplyRecord {
  code: number;
  stderr: string;
}

export interface Verdict {
  ok: boolean;
  /** What happened, for the table: `refused`, `warning <Reason>`, `condition <Type>=<Status> <Reason>`. */
  outcome: string;
  message: string;
}

function conditionsOf(obj: Record<string, unknown> | undefined): ObservedCondition[] {
  const status = obj?.status as { conditions?: ObservedCondition[] } | undefined;
  return status?.conditions ?? [];
}

function fieldAt(obj: Record<string, unknown> | undefined, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function judgeOne(e: Expectation, applied: ApplyRecord[], seen: Observation): Verdict {
  switch (e.type) {
    case 'refused': {
      const last = applied[applied.length - 1];
      const earlierOk = applied.slice(0, -1).every((a) => a.code === 0);
      const message = last?.stderr.trim() ?? '';
      return {
        ok: last !== undefined && last.code !== 0 && earlierOk && e.message.test(message),
        outcome: last && last.code !== 0 ? 'refused' : 'accepted',
        message,
      };
    }
    case 'warning': {
      const events = seen.events.filter(
        (ev) =>
          ev.involvedObject.kind === e.kind && ev.involvedObject.name === e.name && ev.type === 'Warning',
      );
      const hit = events.find((ev) => ev.reason === e.reason && e.message.test(ev.message));
      const shown = hit ?? events[events.length - 1];
      return {
        ok: hit !== undefined && applied.every((a) => a.code === 0),
        outcome: shown ? `warning ${shown.reason}` : 'no warning',
        message: shown?.message ?? '',
      };
    }
    case 'condition': {
      const conditions = conditionsOf(seen.objects.get(`${e.kind}/${e.name}`));
      const c = conditions.find((x) => x.type === e.condition);
      const ok =
        c !== undefined &&
        c.status === e.status &&
        c.reason === e.reason &&
        e.message.test(c.message ?? '') &&
        applied.every((a) => a.code === 0);
      return {
        ok,
        outcome: c ? `condition ${c.type}=${c.status} ${c.reason ?? ''}` : `no ${e.condition} condition`,
        message: c?.message ?? '',
      };
    }
    case 'field': {
      const value = fieldAt(seen.objects.get(`${e.kind}/${e.name}`), e.path);
      return {
        ok: String(value) === e.value && applied.every((a) => a.code === 0),
        outcome: `${e.path}=${String(value)}`,
        message: '',
      };
    }
  }
}

/** Judges every expectation of a case; the verdict of the first that fails, else of the first. */
export function judge(c: CorpusCase, applied: ApplyRecord[], seen: Observation): Verdict {
  const verdicts = c.expectations.map((e) => judgeOne(e, applied, seen));
  const failed = verdicts.find((v) => !v.ok);
  const shown = failed ?? verdicts[0];
  return shown ?? { ok: false, outcome: 'no expectation', message: '' };
}

/** The objects a case's expectations are about, as `Kind/name`. */
export function watchedRefs(c: CorpusCase): string[] {
  return c.expectations.flatMap((e) => (e.type === 'refused' ? [] : [`${e.kind}/${e.name}`]));
}
