import {
  DEFAULT_POD_NAME_PATTERNS,
  parseMetricsExtensions,
  podNamePattern,
} from '../../../controllers/metrics/grpc/extensions.js';
import { MetricsConfigError } from '../../../controllers/metrics/prometheus-config.js';

describe('Kapacity extensions of the metrics configuration', () => {
  test('without them: the default pod name patterns and no ready-pods-only queries', () => {
    const extensions = parseMetricsExtensions('rules: []\n');
    expect(extensions.podNamePatterns).toEqual(DEFAULT_POD_NAME_PATTERNS);
    expect(extensions.readyPodsOnlyQueries).toEqual({});
  });

  test('configured patterns replace the defaults; readyPodsOnlyContainerQuery compiles', () => {
    const extensions = parseMetricsExtensions(`
resourceRules:
  cpu:
    containerQuery: sum(x{<<.LabelMatchers>>})
    readyPodsOnlyContainerQuery: sum by (<<.GroupBy>>) (ready{<<.LabelMatchers>>})
    resources: {overrides: {pod: {resource: pod}}}
    containerLabel: container
workloadPodNamePatterns:
- group: apps
  kind: Deployment
  pattern: ^%s-[a-z0-9]+-[a-z0-9]+$
- kind: Job
  pattern: ^%s-[a-z0-9]{5}$
`);
    expect(extensions.podNamePatterns).toEqual([
      { group: 'apps', kind: 'Deployment', pattern: '^%s-[a-z0-9]+-[a-z0-9]+$' },
      { group: '', kind: 'Job', pattern: '^%s-[a-z0-9]{5}$' },
    ]);
    expect(extensions.readyPodsOnlyQueries.cpu?.render({ GroupBy: '', LabelMatchers: 'pod=~"a"' })).toBe(
      'sum by () (ready{pod=~"a"})',
    );
    expect(extensions.readyPodsOnlyQueries.memory).toBeUndefined();
    expect(podNamePattern(extensions.podNamePatterns, 'apps', 'StatefulSet', 'web')).toBeUndefined();
    // A pattern without a group covers the kind in any group.
    expect(podNamePattern(extensions.podNamePatterns, 'batch', 'Job', 'nightly')).toBe(
      '^nightly-[a-z0-9]{5}$',
    );
  });

  test('broken entries are configuration errors', () => {
    expect(() => parseMetricsExtensions('workloadPodNamePatterns: {}')).toThrow(MetricsConfigError);
    expect(() =>
      parseMetricsExtensions('workloadPodNamePatterns:\n- kind: Deployment\n  pattern: ^web$'),
    ).toThrow('workloadPodNamePatterns[0].pattern: a regular expression containing %s is required');
    expect(() =>
      parseMetricsExtensions('resourceRules:\n  cpu:\n    readyPodsOnlyContainerQuery: "<<.X"'),
    ).toThrow(/resourceRules.cpu.readyPodsOnlyContainerQuery/);
  });

  test('the workload name is escaped inside the pattern', () => {
    expect(podNamePattern(DEFAULT_POD_NAME_PATTERNS, 'apps', 'StatefulSet', 'web.v2')).toBe(
      '^web\\.v2-[0-9]+$',
    );
    expect(podNamePattern(DEFAULT_POD_NAME_PATTERNS, 'apps.kruise.io', 'CloneSet', 'api')).toBe(
      '^api-[a-z0-9]+$',
    );
  });
});
