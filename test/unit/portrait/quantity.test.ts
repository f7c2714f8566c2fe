import { QuantityError, quantityToMilli } from '../../../controllers/portrait/index.js';

describe('quantityToMilli', () => {
  it.each<[string | number, bigint]>([
    ['300m', 300n],
    ['1', 1000n],
    ['1.5', 1500n],
    ['0.3', 300n],
    ['.5', 500n],
    ['2.', 2000n],
    [' 250m ', 250n],
    ['+2', 2000n],
    ['-2', -2000n],
    ['0', 0n],
    ['000', 0n],
    ['1k', 1_000_000n],
    ['1M', 1_000_000_000n],
    ['1G', 1_000_000_000_000n],
    ['1Ki', 1_024_000n],
    ['1Mi', 1_048_576_000n],
    ['64Gi', 64n * 1024n ** 3n * 1000n],
    ['1.5Gi', 1_610_612_736_000n],
    ['1Ei', 1024n ** 6n * 1000n],
    ['2e3', 2_000_000n],
    ['2E3', 2_000_000n],
    ['5e-3', 5n],
    ['1E', 10n ** 21n],
    ['100u', 1n], // 0.1 milli rounds up
    ['1n', 1n], // 0.000001 milli rounds up
    ['12345678n', 13n], // 12.345678 milli rounds up
    ['1000000n', 1n],
    ['-1.5m', -1n], // toward +infinity
    [0.3, 300n],
    [0.7, 700n],
    [1.5, 1500n],
    [2, 2000n],
    [1e-7, 1n],
    [1e21, 10n ** 24n],
  ])('%j → %s', (quantity, milli) => {
    expect(quantityToMilli(quantity)).toBe(milli);
  });

  it.each(['', 'abc', '1.2.3', '1KiB', '1K', 'm', '1 m', '--1', '1e', '0x10'])('rejects %j', (text) => {
    expect(() => quantityToMilli(text)).toThrow(new QuantityError(`invalid quantity "${text.trim()}"`));
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY])('rejects the number %p', (n) => {
    expect(() => quantityToMilli(n)).toThrow(`invalid quantity ${n}`);
  });
});
