import { levelAt, localDay, weekdayLevels } from '../../../cli/predict/weekday.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const STEP = 10 * 60_000;
// 2024-06-03 was a Monday; at UTC+8 its local midnight is 16:00 UTC the day before.
const MONDAY_LOCAL = Date.UTC(2024, 5, 3) - 8 * HOUR;
// Monday first.
const LEVELS = [1.2, 1, 1, 1, 1, 0.6, 0.5];

function traffic(days: number, growthPerDay: number): number[] {
  const values: number[] = [];
  for (let t = MONDAY_LOCAL; t < MONDAY_LOCAL + days * DAY; t += STEP) {
    const day = Math.floor((t - MONDAY_LOCAL) / DAY);
    values.push(100 * (LEVELS[day % 7] as number) * (1 + growthPerDay * ((t - MONDAY_LOCAL) / DAY)));
  }
  return values;
}

describe('weekday levels', () => {
  test('recovered despite growth over the history', () => {
    const levels = weekdayLevels(MONDAY_LOCAL, STEP, traffic(14, 0.05), 8);
    expect(levels).toBeDefined();
    const mean = Math.exp(LEVELS.reduce((a, l) => a + Math.log(l), 0) / 7);
    for (let d = 0; d < 7; d++) {
      const at = MONDAY_LOCAL + d * DAY + 12 * HOUR;
      // Growth inside a day makes the daily means a little uneven: within 3 %.
      expect(levelAt(levels, at, 8) / ((LEVELS[d] as number) / mean)).toBeCloseTo(1, 1);
    }
  });

  test('need eight complete days', () => {
    expect(weekdayLevels(MONDAY_LOCAL, STEP, traffic(7, 0), 8)).toBeUndefined();
    expect(weekdayLevels(MONDAY_LOCAL, STEP, traffic(8, 0), 8)).toBeDefined();
  });

  test('flat weeks give no levels', () => {
    const flat = traffic(10, 0).map(() => 100);
    expect(weekdayLevels(MONDAY_LOCAL, STEP, flat, 8)).toBeUndefined();
    expect(levelAt(undefined, MONDAY_LOCAL, 8)).toBe(1);
  });

  test('local days follow the time zone offset', () => {
    const utcMidnight = Date.UTC(2024, 5, 3);
    expect(localDay(utcMidnight - 1, 0)).toBe(localDay(utcMidnight, 0) - 1);
    // 23:00 UTC on June 2nd is already June 3rd at UTC+8.
    expect(localDay(utcMidnight - HOUR, 8)).toBe(localDay(utcMidnight, 0));
    expect(localDay(utcMidnight + HOUR, -7)).toBe(localDay(utcMidnight, 0) - 1);
  });
});
