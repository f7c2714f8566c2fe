// system.kubernetes requirements of addon metadata against the cluster's version.

import { parseVersion, satisfies } from '../../../cli/semver.js';

describe('satisfies', () => {
  test.each([
    ['v1.33.0', '>=1.20', true],
    ['v1.19.3', '>=1.20', false],
    ['v1.33.0', '>=1.23.0, <2', true],
    ['v1.33.0', '>= 1.23.0 < 1.30', false],
    ['v1.33.1+k3s1', '=1.33.1', true],
    ['v1.33.1', '1.33', false],
    ['1.30', '!=1.30.0', false],
    ['v1.20.0', '>1.20', false],
    ['v1.20.0', '<=1.20', true],
    ['v1.20.0', '', true],
  ])('%s meets %j: %s', (version, constraint, expected) => {
    expect(satisfies(version, constraint)).toBe(expected);
  });

  test('unreadable versions and requirements throw, naming them', () => {
    expect(() => satisfies('latest', '>=1.20')).toThrow('cannot read version "latest"');
    expect(() => satisfies('v1.30.0', '>=one')).toThrow('cannot read version requirement ">=one"');
  });

  test('parseVersion fills missing parts with 0', () => {
    expect(parseVersion('v1')).toEqual([1, 0, 0]);
    expect(parseVersion('1.2')).toEqual([1, 2, 0]);
  });
});
