// `--set key=value` parameters: typing, nesting, and the mistakes users make.

import { UsageError } from '../../../cli/args.js';
import { parseSetValues, typedValue } from '../../../cli/set-values.js';

describe('typedValue', () => {
  test.each([
    ['true', true],
    ['false', false],
    ['null', null],
    ['3', 3],
    ['-12', -12],
    ['0.5', 0.5],
    ['007', '007'],
    ['1.2.3', '1.2.3'],
    ['"42"', '42'],
    ['[1,"a"]', [1, 'a']],
    ['{"a":{"b":2}}', { a: { b: 2 } }],
    ['[not json', '[not json'],
    ['ghcr.io/rollscale/rollscale:0.1.0', 'ghcr.io/rollscale/rollscale:0.1.0'],
    ['', ''],
    ['a=b', 'a=b'],
  ])('%j → %j', (text, value) => {
    expect(typedValue(text)).toEqual(value);
  });

  test('integers beyond the safe range stay strings (no silent rounding)', () => {
    expect(typedValue('12345678901234567890')).toBe('12345678901234567890');
  });
});

describe('parseSetValues', () => {
  test('merges items, nests dotted keys, later items win', () => {
    expect(
      parseSetValues([
        'replicas=2',
        'resources.limits.cpu=1',
        'resources.limits.memory=512Mi',
        'replicas=3',
        'webhook=false',
      ]),
    ).toEqual({ replicas: 3, resources: { limits: { cpu: 1, memory: '512Mi' } }, webhook: false });
  });

  test('the value may contain = signs', () => {
    expect(parseSetValues(['args=--flag=x'])).toEqual({ args: '--flag=x' });
  });

  test('an item without = or with an empty key says how to write it', () => {
    expect(() => parseSetValues(['replicas'])).toThrow(UsageError);
    expect(() => parseSetValues(['replicas'])).toThrow(
      'parameters are given as key=value, e.g. --set replicas=2',
    );
    expect(() => parseSetValues(['=3'])).toThrow('not key=value');
    expect(() => parseSetValues(['a..b=1'])).toThrow('has an empty part');
  });

  test('a key that is already a scalar cannot become an object', () => {
    expect(() => parseSetValues(['image=nginx', 'image.tag=1'])).toThrow(
      'image was already set to "nginx", it cannot also hold tag',
    );
  });
});
