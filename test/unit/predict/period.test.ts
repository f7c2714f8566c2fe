import { parsePeriod } from '../../../cli/predict/period.js';

test('Kapacity / pandas forms and Go durations', () => {
  expect(parsePeriod('24H')).toBe(86_400_000);
  expect(parsePeriod('7D')).toBe(7 * 86_400_000);
  expect(parsePeriod('D')).toBe(86_400_000);
  expect(parsePeriod('10min')).toBe(600_000);
  expect(parsePeriod('30T')).toBe(1_800_000);
  expect(parsePeriod('90S')).toBe(90_000);
  expect(parsePeriod('10m')).toBe(600_000);
  expect(parsePeriod('1h30m')).toBe(5_400_000);
  expect(parsePeriod('2d')).toBe(2 * 86_400_000);
  expect(parsePeriod('60s')).toBe(60_000);
  expect(() => parsePeriod('ten minutes')).toThrow('invalid length of time "ten minutes"');
  expect(() => parsePeriod('10M')).toThrow();
});
