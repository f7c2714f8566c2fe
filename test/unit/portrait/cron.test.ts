import fc from 'fast-check';
import { CronError, nextAfter, parseCron, validateTimeZone } from '../../../controllers/portrait/index.js';

const at = (iso: string): Date => new Date(iso);
const sorted = (set: ReadonlySet<number>): number[] => [...set].sort((a, b) => a - b);
const range = (from: number, to: number, step = 1): number[] => {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
};

describe('parseCron: accepted syntax', () => {
  const cases: {
    expr: string;
    field: 'minutes' | 'hours' | 'daysOfMonth' | 'months' | 'daysOfWeek';
    values: number[];
  }[] = [
    { expr: '* * * * *', field: 'minutes', values: range(0, 59) },
    { expr: '*/15 * * * *', field: 'minutes', values: [0, 15, 30, 45] },
    { expr: '1-10/2 * * * *', field: 'minutes', values: [1, 3, 5, 7, 9] },
    { expr: '5/15 * * * *', field: 'minutes', values: [5, 20, 35, 50] },
    { expr: '0,30,45 * * * *', field: 'minutes', values: [0, 30, 45] },
    { expr: '0 9-17 * * *', field: 'hours', values: range(9, 17) },
    { expr: '0 0-23/6 * * *', field: 'hours', values: [0, 6, 12, 18] },
    { expr: '0 0 1,15 * *', field: 'daysOfMonth', values: [1, 15] },
    { expr: '0 0 */10 * *', field: 'daysOfMonth', values: [1, 11, 21, 31] },
    { expr: '0 0 1 JAN,mar,Dec *', field: 'months', values: [1, 3, 12] },
    { expr: '0 0 1 jun-AUG *', field: 'months', values: [6, 7, 8] },
    { expr: '0 0 1 */3 *', field: 'months', values: [1, 4, 7, 10] },
    { expr: '0 0 * * MON-FRI', field: 'daysOfWeek', values: [1, 2, 3, 4, 5] },
    { expr: '0 0 * * 0', field: 'daysOfWeek', values: [0] },
    { expr: '0 0 * * 7', field: 'daysOfWeek', values: [0] },
    { expr: '0 0 * * 5-7', field: 'daysOfWeek', values: [0, 5, 6] },
    { expr: '0 0 * * sat,SUN', field: 'daysOfWeek', values: [0, 6] },
    { expr: '0 0 * * MON-SUN', field: 'daysOfWeek', values: [0, 1, 2, 3, 4, 5, 6] },
    { expr: '0 0 * * *', field: 'daysOfWeek', values: [0, 1, 2, 3, 4, 5, 6] },
    { expr: '0 0 ? * 1', field: 'daysOfMonth', values: range(1, 31) },
    { expr: '  0   12  *  *  * ', field: 'hours', values: [12] },
  ];
  it.each(cases)('$expr → $field = $values', ({ expr, field, values }) => {
    expect(sorted(parseCron(expr)[field])).toEqual(values);
  });

  it('records whether the day fields are restricted (for the either-day rule)', () => {
    const both = parseCron('0 0 13 * FRI');
    expect([both.dayOfMonthUnrestricted, both.dayOfWeekUnrestricted]).toEqual([false, false]);
    const starStep = parseCron('0 0 */2 * MON');
    expect([starStep.dayOfMonthUnrestricted, starStep.dayOfWeekUnrestricted]).toEqual([true, false]);
  });

  it.each([
    ['@hourly', '0 * * * *'],
    ['@daily', '0 0 * * *'],
    ['@midnight', '0 0 * * *'],
    ['@weekly', '0 0 * * 0'],
    ['@monthly', '0 0 1 * *'],
    ['@yearly', '0 0 1 1 *'],
    ['@annually', '0 0 1 1 *'],
  ])('%s is %s', (descriptor, expanded) => {
    const a = parseCron(descriptor);
    const b = parseCron(expanded);
    for (const field of ['minutes', 'hours', 'daysOfMonth', 'months', 'daysOfWeek'] as const) {
      expect(sorted(a[field])).toEqual(sorted(b[field]));
    }
    expect(a.source).toBe(descriptor);
  });
});

describe('parseCron: errors name the expression and the field', () => {
  it.each([
    ['61 * * * *', 'invalid cron "61 * * * *": minute 61 is out of range 0-59'],
    ['* 24 * * *', 'invalid cron "* 24 * * *": hour 24 is out of range 0-23'],
    ['* * 0 * *', 'invalid cron "* * 0 * *": day-of-month 0 is out of range 1-31'],
    ['* * 32 * *', 'invalid cron "* * 32 * *": day-of-month 32 is out of range 1-31'],
    ['* * * 13 *', 'invalid cron "* * * 13 *": month 13 is out of range 1-12'],
    ['* * * 0 *', 'invalid cron "* * * 0 *": month 0 is out of range 1-12'],
    ['* * * * 8', 'invalid cron "* * * * 8": day-of-week 8 is out of range 0-7'],
    [
      '* * * *',
      'invalid cron "* * * *": expected 5 fields (minute hour day-of-month month day-of-week), got 4',
    ],
    [
      '0 * * * * *',
      'invalid cron "0 * * * * *": expected 5 fields (minute hour day-of-month month day-of-week), got 6',
    ],
    ['', 'invalid cron "": expression is empty'],
    ['*/0 * * * *', 'invalid cron "*/0 * * * *": minute step "0" must be a positive integer'],
    ['*/x * * * *', 'invalid cron "*/x * * * *": minute step "x" must be a positive integer'],
    ['*/2/3 * * * *', 'invalid cron "*/2/3 * * * *": minute "*/2/3" has more than one step'],
    ['10-5 * * * *', 'invalid cron "10-5 * * * *": minute range 10-5 is reversed'],
    ['1-2-3 * * * *', 'invalid cron "1-2-3 * * * *": minute range "1-2-3" is malformed'],
    ['x * * * *', 'invalid cron "x * * * *": minute "x" is not a number'],
    ['* * * FOO *', 'invalid cron "* * * FOO *": month "FOO" is not a number or a month name (JAN-DEC)'],
    [
      '* * * * FUNDAY',
      'invalid cron "* * * * FUNDAY": day-of-week "FUNDAY" is not a number or a weekday name (SUN-SAT)',
    ],
    ['* MON * * *', 'invalid cron "* MON * * *": hour "MON" is not a number'],
    ['? * * * *', 'invalid cron "? * * * *": minute "?" is not a number'],
    ['1,,2 * * * *', 'invalid cron "1,,2 * * * *": minute field "1,,2" has an empty list item'],
    ['0 0 31 2 *', 'invalid cron "0 0 31 2 *": day-of-month 31 never occurs in the selected months'],
    [
      '0 0 31 4,6,9,11 *',
      'invalid cron "0 0 31 4,6,9,11 *": day-of-month 31 never occurs in the selected months',
    ],
    ['0 0 30 FEB *', 'invalid cron "0 0 30 FEB *": day-of-month 30 never occurs in the selected months'],
    ['@every 5m', 'invalid cron "@every 5m": unsupported descriptor @every'],
  ])('%j', (expr, message) => {
    expect(() => parseCron(expr)).toThrow(new CronError(message));
  });

  it('throws CronError instances', () => {
    expect(() => parseCron('61 * * * *')).toThrow(CronError);
  });

  it('accepts day-of-month 31 in February when the weekday is also restricted (either day counts)', () => {
    expect(() => parseCron('0 0 31 2 MON')).not.toThrow();
    expect(() => parseCron('0 0 29 2 *')).not.toThrow();
  });
});

describe('validateTimeZone', () => {
  it.each([
    [undefined, 'UTC'],
    ['', 'UTC'],
    ['UTC', 'UTC'],
    ['Asia/Shanghai', 'Asia/Shanghai'],
    ['America/New_York', 'America/New_York'],
  ])('%j → %j', (zone, resolved) => {
    expect(validateTimeZone(zone)).toBe(resolved);
  });

  it.each(['Mars/Olympus', 'Local', '+05:00', 'Not A Zone'])('rejects %j with a clear error', (zone) => {
    expect(() => validateTimeZone(zone)).toThrow(new CronError(`unknown time zone "${zone}"`));
  });

  it('nextAfter reports an unknown zone the same way', () => {
    expect(() => nextAfter('0 * * * *', at('2024-01-01T00:00:00Z'), 'Mars/Olympus')).toThrow(
      'unknown time zone "Mars/Olympus"',
    );
  });
});

describe('nextAfter in UTC', () => {
  it.each([
    // strictly after
    ['0 * * * *', '2024-01-01T10:00:00Z', '2024-01-01T11:00:00Z'],
    ['0 * * * *', '2024-01-01T09:59:59.999Z', '2024-01-01T10:00:00Z'],
    ['0 * * * *', '2024-01-01T10:00:00.001Z', '2024-01-01T11:00:00Z'],
    ['* * * * *', '2024-01-01T10:00:00Z', '2024-01-01T10:01:00Z'],
    ['* * * * *', '2024-01-01T10:00:30Z', '2024-01-01T10:01:00Z'],
    ['*/5 * * * *', '2024-01-01T10:02:30Z', '2024-01-01T10:05:00Z'],
    ['10 * * * *', '2024-01-01T10:10:00Z', '2024-01-01T11:10:00Z'],
    ['1-10/2 * * * *', '2024-01-01T10:03:00Z', '2024-01-01T10:05:00Z'],
    ['1-10/2 * * * *', '2024-01-01T10:09:00Z', '2024-01-01T11:01:00Z'],
    // rollovers
    ['59 23 * * *', '2024-01-01T23:59:00Z', '2024-01-02T23:59:00Z'],
    ['0 0 1 * *', '2024-01-31T12:00:00Z', '2024-02-01T00:00:00Z'],
    ['0 0 1 1 *', '2024-06-01T00:00:00Z', '2025-01-01T00:00:00Z'],
    ['0 0 31 * *', '2024-04-01T00:00:00Z', '2024-05-31T00:00:00Z'],
    ['0 0 29 2 *', '2024-03-01T00:00:00Z', '2028-02-29T00:00:00Z'],
    ['0 12 * JUN *', '2024-01-15T00:00:00Z', '2024-06-01T12:00:00Z'],
    // weekdays (2024-01-01 is a Monday)
    ['0 9 * * MON-FRI', '2024-01-05T09:00:00Z', '2024-01-08T09:00:00Z'],
    ['0 0 * * 0', '2024-01-01T00:00:00Z', '2024-01-07T00:00:00Z'],
    ['0 0 * * 7', '2024-01-01T00:00:00Z', '2024-01-07T00:00:00Z'],
    ['0 0 * * SUN', '2024-01-01T00:00:00Z', '2024-01-07T00:00:00Z'],
    // both day fields restricted: either matches
    ['0 0 13 * FRI', '2024-01-01T00:00:00Z', '2024-01-05T00:00:00Z'],
    ['0 0 13 * FRI', '2024-01-12T00:00:00Z', '2024-01-13T00:00:00Z'],
    ['0 0 3 * MON', '2024-01-01T00:00:00Z', '2024-01-03T00:00:00Z'],
    // one day field starts with '*': both must match (odd days that are Mondays)
    ['0 0 */2 * MON', '2024-01-01T00:00:00Z', '2024-01-15T00:00:00Z'],
    ['0 0 13 * *', '2024-01-01T00:00:00Z', '2024-01-13T00:00:00Z'],
    ['0 0 * * FRI', '2024-01-01T00:00:00Z', '2024-01-05T00:00:00Z'],
    ['@hourly', '2024-01-01T10:30:00Z', '2024-01-01T11:00:00Z'],
  ])('%s after %s → %s', (expr, after, expected) => {
    expect(nextAfter(expr, at(after)).toISOString()).toBe(at(expected).toISOString());
  });

  it('accepts a parsed schedule as well as the text', () => {
    const schedule = parseCron('30 * * * *');
    expect(nextAfter(schedule, at('2024-01-01T10:00:00Z')).toISOString()).toBe('2024-01-01T10:30:00.000Z');
  });

  it('rejects an invalid reference time', () => {
    expect(() => nextAfter('* * * * *', new Date(Number.NaN))).toThrow('reference time is invalid');
  });

  // An independent minute-by-minute oracle over random schedules.
  it('matches a brute-force minute scan (property)', () => {
    type Field = number[] | '*';
    const field = (min: number, max: number): fc.Arbitrary<Field> =>
      fc.oneof(
        fc.constant<Field>('*'),
        fc.uniqueArray(fc.integer({ min, max }), { minLength: 1, maxLength: 4 }),
      );
    const text = (f: Field) => (f === '*' ? '*' : f.join(','));
    fc.assert(
      fc.property(
        field(0, 59),
        field(0, 23),
        field(1, 28),
        field(0, 6),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        (minutes, hours, days, weekdays, startMs) => {
          const expr = `${text(minutes)} ${text(hours)} ${text(days)} * ${text(weekdays)}`;
          const matches = (d: Date): boolean => {
            const ok = (f: Field, v: number) => f === '*' || f.includes(v);
            const dom = ok(days, d.getUTCDate());
            const dow = ok(weekdays, d.getUTCDay());
            const dayOk = days !== '*' && weekdays !== '*' ? dom || dow : dom && dow;
            return ok(minutes, d.getUTCMinutes()) && ok(hours, d.getUTCHours()) && dayOk;
          };
          let expected = Math.floor(startMs / 60_000) * 60_000 + 60_000;
          while (!matches(new Date(expected))) expected += 60_000;
          expect(nextAfter(expr, new Date(startMs)).getTime()).toBe(expected);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('nextAfter in time zones', () => {
  it.each([
    // fixed offsets
    ['0 9 * * *', 'Asia/Shanghai', '2024-01-01T00:00:00Z', '2024-01-01T01:00:00Z'],
    ['0 9 * * *', 'Asia/Shanghai', '2024-01-01T01:00:00Z', '2024-01-02T01:00:00Z'],
    ['0 0 * * *', 'Asia/Kolkata', '2024-01-01T00:00:00Z', '2024-01-01T18:30:00Z'],
    ['0 0 * * MON', 'Asia/Tokyo', '2024-01-01T00:00:00Z', '2024-01-07T15:00:00Z'],
    ['0 0 1 * *', 'America/Los_Angeles', '2024-01-01T00:00:00Z', '2024-01-01T08:00:00Z'],
    // New York spring-forward, 2024-03-10 02:00 EST → 03:00 EDT: 02:30 does not exist that day
    ['30 2 * * *', 'America/New_York', '2024-03-10T05:00:00Z', '2024-03-11T06:30:00Z'],
    ['0 * * * *', 'America/New_York', '2024-03-10T06:30:00Z', '2024-03-10T07:00:00Z'],
    ['0 3 * * *', 'America/New_York', '2024-03-10T06:30:00Z', '2024-03-10T07:00:00Z'],
    ['59 1 * * *', 'America/New_York', '2024-03-10T05:00:00Z', '2024-03-10T06:59:00Z'],
    // New York fall-back, 2024-11-03 02:00 EDT → 01:00 EST: 01:xx happens twice, fires once (first)
    ['30 1 * * *', 'America/New_York', '2024-11-03T04:00:00Z', '2024-11-03T05:30:00Z'],
    ['30 1 * * *', 'America/New_York', '2024-11-03T05:30:00Z', '2024-11-04T06:30:00Z'],
    ['30 1 * * *', 'America/New_York', '2024-11-03T06:10:00Z', '2024-11-04T06:30:00Z'],
    ['20 * * * *', 'America/New_York', '2024-11-03T06:10:00Z', '2024-11-03T07:20:00Z'],
    ['0 * * * *', 'America/New_York', '2024-11-03T05:00:00Z', '2024-11-03T07:00:00Z'],
    ['0 2 * * *', 'America/New_York', '2024-11-03T05:00:00Z', '2024-11-03T07:00:00Z'],
    // London spring-forward, 2024-03-31 01:00 GMT → 02:00 BST
    ['30 1 * * *', 'Europe/London', '2024-03-31T00:00:00Z', '2024-04-01T00:30:00Z'],
    // London fall-back, 2024-10-27 02:00 BST → 01:00 GMT
    ['30 1 * * *', 'Europe/London', '2024-10-26T23:00:00Z', '2024-10-27T00:30:00Z'],
    ['30 1 * * *', 'Europe/London', '2024-10-27T00:30:00Z', '2024-10-28T01:30:00Z'],
    // Southern hemisphere: Sydney spring-forward 2024-10-06 02:00 AEST → 03:00 AEDT
    ['15 2 * * *', 'Australia/Sydney', '2024-10-05T14:00:00Z', '2024-10-06T15:15:00Z'],
  ])('%s in %s after %s → %s', (expr, zone, after, expected) => {
    expect(nextAfter(expr, at(after), zone).toISOString()).toBe(at(expected).toISOString());
  });

  it('walks through a whole fall-back night firing every wall minute exactly once', () => {
    // Every 30 minutes in New York across 2024-11-03 00:00 EDT … 03:00 EST.
    const fired: string[] = [];
    let t = at('2024-11-03T04:00:00Z');
    for (let i = 0; i < 6; i++) {
      t = nextAfter('*/30 * * * *', t, 'America/New_York');
      fired.push(t.toISOString());
    }
    expect(fired).toEqual([
      '2024-11-03T04:30:00.000Z', // 00:30 EDT
      '2024-11-03T05:00:00.000Z', // 01:00 EDT
      '2024-11-03T05:30:00.000Z', // 01:30 EDT
      '2024-11-03T07:00:00.000Z', // 02:00 EST (the repeated 01:00 and 01:30 do not fire again)
      '2024-11-03T07:30:00.000Z', // 02:30 EST
      '2024-11-03T08:00:00.000Z', // 03:00 EST
    ]);
  });

  it('walks through a spring-forward night skipping the missing hour', () => {
    const fired: string[] = [];
    let t = at('2024-03-10T06:00:00Z'); // 01:00 EST
    for (let i = 0; i < 3; i++) {
      t = nextAfter('*/30 * * * *', t, 'America/New_York');
      fired.push(t.toISOString());
    }
    expect(fired).toEqual([
      '2024-03-10T06:30:00.000Z', // 01:30 EST
      '2024-03-10T07:00:00.000Z', // 03:00 EDT (02:00 and 02:30 do not exist)
      '2024-03-10T07:30:00.000Z', // 03:30 EDT
    ]);
  });
});
