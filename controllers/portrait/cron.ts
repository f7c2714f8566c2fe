/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week) evaluated in an IANA
 * time zone, with no clock reads: every function takes the reference time as an argument.
 *
 * Supported syntax per field: `*`, single values, lists `1,5,9`, ranges `1-10`, steps `*\/5`,
 * `1-10/2` and `5/15` (from 5 to the field's maximum), month names JAN–DEC and weekday names
 * SUN–SAT (case-insensitive), 0 and 7 both Sunday, `?` as a synonym of `*` in the two day fields,
 * and the shorthands @yearly/@annually, @monthly, @weekly, @daily/@midnight, @hourly.
 *
 * Day matching follows the classic cron rule: when both day-of-month and day-of-week are
 * restricted (neither starts with `*` or `?`), a day matches if EITHER field matches; otherwise
 * both must match (the unrestricted one matches every day).
 *
 * Wall-clock semantics across DST: a wall time skipped by a spring-forward transition does not
 * fire that day; a wall time that occurs twice in a fall-back transition fires once, at its first
 * occurrence.
 */

/** Thrown for malformed expressions, unknown time zones and schedules that never fire. */
export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronError';
  }
}

export type CronFieldName = 'minute' | 'hour' | 'day-of-month' | 'month' | 'day-of-week';

/** A parsed cron expression. The sets hold the values each field allows. */
export interface CronSchedule {
  /** The expression as written (trimmed). */
  readonly source: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday (7 is folded into 0). */
  readonly daysOfWeek: ReadonlySet<number>;
  /** True when day-of-month was written as `*` or `?` (or starts with `*`, e.g. `*\/2`). */
  readonly dayOfMonthUnrestricted: boolean;
  /** True when day-of-week was written as `*` or `?` (or starts with `*`). */
  readonly dayOfWeekUnrestricted: boolean;
}

interface FieldSpec {
  name: CronFieldName;
  min: number;
  max: number;
  names?: readonly string[];
  /** Index 0 of `names` maps to this value. */
  namesStartAt?: number;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, namesStartAt: 1 },
  // 7 is accepted as a second spelling of Sunday and folded into 0 after parsing.
  { name: 'day-of-week', min: 0, max: 7, names: WEEKDAY_NAMES, namesStartAt: 0 },
];

const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** The longest month length for each month, counting February in leap years. */
const MAX_DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parses a five-field cron expression.
 * @throws CronError naming the expression and the offending field, e.g.
 *   `invalid cron "61 * * * *": minute 61 is out of range 0-59`.
 */
export function parseCron(expression: string): CronSchedule {
  const source = expression.trim();
  const fail = (detail: string): never => {
    throw new CronError(`invalid cron "${source}": ${detail}`);
  };

  let body = source;
  if (source.startsWith('@')) {
    const expanded = DESCRIPTORS[source.toLowerCase()];
    if (expanded === undefined) fail(`unsupported descriptor ${source.split(/\s+/)[0] ?? source}`);
    body = expanded as string;
  }
  if (body === '') fail('expression is empty');
  const parts = body.split(/\s+/);
  if (parts.length !== 5) {
    fail(`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  }

  const sets = FIELDS.map((spec, i) => parseField(parts[i] as string, spec, fail));
  const [minutes, hours, daysOfMonth, months, rawDaysOfWeek] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  const daysOfWeek = new Set<number>([...rawDaysOfWeek].map((d) => (d === 7 ? 0 : d)));
  const dayOfMonthUnrestricted = isWildcard(parts[2] as string);
  const dayOfWeekUnrestricted = isWildcard(parts[4] as string);

  // With day-of-week unrestricted, only day-of-month decides; reject schedules such as
  // "0 0 31 2 *" that no calendar can ever satisfy instead of searching for them forever.
  if (!dayOfMonthUnrestricted && dayOfWeekUnrestricted) {
    const smallestDay = Math.min(...daysOfMonth);
    const possible = [...months].some((m) => (MAX_DAYS_IN_MONTH[m - 1] ?? 0) >= smallestDay);
    if (!possible) fail(`day-of-month ${smallestDay} never occurs in the selected months`);
  }

  return {
    source,
    minutes,
    hours,
    daysOfMonth,
    months,
    daysOfWeek,
    dayOfMonthUnrestricted,
    dayOfWeekUnrestricted,
  };
}

function isWildcard(field: string): boolean {
  return field.startsWith('*') || field.startsWith('?');
}

function parseField(text: string, spec: FieldSpec, fail: (detail: string) => never): Set<number> {
  const values = new Set<number>();
  const dayField = spec.name === 'day-of-month' || spec.name === 'day-of-week';
  for (const item of text.split(',')) {
    if (item === '') fail(`${spec.name} field "${text}" has an empty list item`);
    const slash = item.split('/');
    if (slash.length > 2) fail(`${spec.name} "${item}" has more than one step`);
    const [rangeText, stepText] = slash as [string, string | undefined];

    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) {
        fail(`${spec.name} step "${stepText}" must be a positive integer`);
      }
      step = Number(stepText);
    }

    // The largest real value of the field: 7 only exists as an alias of Sunday, so `*` and
    // open-ended steps stop at 6.
    const fieldMax = spec.name === 'day-of-week' ? 6 : spec.max;
    let start: number;
    let end: number;
    if (rangeText === '*' || (dayField && rangeText === '?')) {
      start = spec.min;
      end = fieldMax;
    } else if (rangeText.includes('-')) {
      const bounds = rangeText.split('-');
      if (bounds.length !== 2) fail(`${spec.name} range "${rangeText}" is malformed`);
      start = parseValue(bounds[0] as string, spec, fail);
      end = parseValue(bounds[1] as string, spec, fail);
      // "MON-SUN" reads naturally as Monday through Sunday; let Sunday close a range as 7.
      if (spec.name === 'day-of-week' && end === 0 && start > 0) end = 7;
      if (start > end) fail(`${spec.name} range ${start}-${end} is reversed`);
    } else {
      start = parseValue(rangeText, spec, fail);
      // "5/15" means "from 5, every 15"; a plain value without a step is just that value.
      end = stepText === undefined ? start : fieldMax;
    }

    for (let v = start; v <= end; v += step) values.add(v);
  }
  return values;
}

function parseValue(token: string, spec: FieldSpec, fail: (detail: string) => never): number {
  if (spec.names) {
    const index = spec.names.indexOf(token.toUpperCase());
    if (index >= 0) return index + (spec.namesStartAt ?? 0);
  }
  if (!/^\d+$/.test(token)) {
    const hint = spec.names
      ? ` or a ${spec.name === 'month' ? 'month' : 'weekday'} name (${spec.names[0]}-${spec.names[spec.names.length - 1]})`
      : '';
    fail(`${spec.name} "${token}" is not a number${hint}`);
  }
  const value = Number(token);
  if (value < spec.min || value > spec.max) {
    fail(`${spec.name} ${value} is out of range ${spec.min}-${spec.max}`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Time zones
// ---------------------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * Checks an IANA time zone name and returns it as Intl resolves it. An empty or missing zone
 * means UTC.
 * @throws CronError `unknown time zone "Mars/Olympus"`.
 */
export function validateTimeZone(timeZone: string | undefined): string {
  if (timeZone === undefined || timeZone === '') return 'UTC';
  return formatterFor(timeZone).resolvedOptions().timeZone;
}

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new CronError(`unknown time zone "${timeZone}"`);
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * The wall clock at `instantMs` in `timeZone`, encoded as the UTC epoch milliseconds of that
 * same calendar reading (so `new Date(wall).getUTCHours()` is the local hour).
 */
function wallClockOf(instantMs: number, timeZone: string): number {
  if (timeZone === 'UTC') return instantMs;
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const subSecond = ((instantMs % 1000) + 1000) % 1000;
  return (
    Date.UTC(
      fields.year ?? 1970,
      (fields.month ?? 1) - 1,
      fields.day ?? 1,
      fields.hour ?? 0,
      fields.minute ?? 0,
      fields.second ?? 0,
    ) + subSecond
  );
}

/**
 * Every instant whose wall clock in `timeZone` reads `wall`, earliest first: none inside a
 * spring-forward gap, two inside a fall-back overlap, one otherwise.
 */
function instantsForWallClock(wall: number, timeZone: string): number[] {
  if (timeZone === 'UTC') return [wall];
  // The offsets in force a day either side bracket any single transition near this wall time.
  const candidates = new Set<number>();
  for (const probe of [wall - DAY_MS, wall, wall + DAY_MS]) {
    candidates.add(wall - (wallClockOf(probe, timeZone) - probe));
  }
  return [...candidates].filter((instant) => wallClockOf(instant, timeZone) === wall).sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// Next fire time
// ---------------------------------------------------------------------------------------------

/** Far enough to reach a February 29th across a skipped leap year (e.g. 2096 → 2104). */
const SEARCH_YEARS = 9;

function dayMatches(schedule: CronSchedule, day: number, weekday: number): boolean {
  const domMatch = schedule.daysOfMonth.has(day);
  const dowMatch = schedule.daysOfWeek.has(weekday);
  if (schedule.dayOfMonthUnrestricted || schedule.dayOfWeekUnrestricted) return domMatch && dowMatch;
  return domMatch || dowMatch;
}

/**
 * The first fire time of `expression` strictly after `after`, evaluated on the wall clock of
 * `timeZone` (an IANA name; default UTC).
 * @throws CronError for a malformed expression, an unknown time zone, or a schedule that has no
 *   fire time within nine years.
 */
export function nextAfter(expression: string | CronSchedule, after: Date, timeZone = 'UTC'): Date {
  const schedule = typeof expression === 'string' ? parseCron(expression) : expression;
  const zone = validateTimeZone(timeZone);
  const afterMs = after.getTime();
  if (Number.isNaN(afterMs)) throw new CronError(`cron "${schedule.source}": reference time is invalid`);

  // Start at the wall-clock minute following `after`. Earlier wall readings cannot qualify: their
  // first occurrence is never later than `after`, and a repeated reading fires only once.
  let wall = Math.floor(wallClockOf(afterMs, zone) / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const limitYear = new Date(wall).getUTCFullYear() + SEARCH_YEARS;

  for (;;) {
    const d = new Date(wall);
    const year = d.getUTCFullYear();
    if (year > limitYear) {
      throw new CronError(
        `cron "${schedule.source}" has no fire time within ${SEARCH_YEARS} years after ${after.toISOString()} in ${zone}`,
      );
    }
    const month = d.getUTCMonth() + 1;
    const day = d.getUTCDate();
    const hour = d.getUTCHours();
    const minute = d.getUTCMinutes();

    // Skip whole months, days and hours at a time so sparse schedules stay cheap.
    if (!schedule.months.has(month)) {
      wall = Date.UTC(year, month, 1);
      continue;
    }
    if (!dayMatches(schedule, day, d.getUTCDay())) {
      wall = Date.UTC(year, month - 1, day + 1);
      continue;
    }
    if (!schedule.hours.has(hour)) {
      wall = Date.UTC(year, month - 1, day, hour + 1);
      continue;
    }
    if (!schedule.minutes.has(minute)) {
      wall += MINUTE_MS;
      continue;
    }

    // A skipped wall time yields no instant; a repeated one counts only at its first occurrence.
    const first = instantsForWallClock(wall, zone)[0];
    if (first !== undefined && first > afterMs) return new Date(first);
    wall += MINUTE_MS;
  }
}
