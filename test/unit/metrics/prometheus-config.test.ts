import {
  DEFAULT_PROMETHEUS_METRICS_CONFIG,
  MetricsConfigError,
  parsePrometheusMetricsConfig,
} from '../../../controllers/metrics/index.js';

describe('parsePrometheusMetricsConfig', () => {
  it('reads the default configuration: cpu and memory resource rules, one external rule', () => {
    const config = parsePrometheusMetricsConfig(DEFAULT_PROMETHEUS_METRICS_CONFIG);
    expect(config.resourceRules?.cpu?.containerLabel).toBe('container');
    expect(config.resourceRules?.memory?.position).toBe('resourceRules.memory');
    expect(config.rules).toEqual([]);
    expect(config.externalRules).toHaveLength(1);
    expect(config.externalRules[0]?.nameAs).toBe('ready_pods_count');
  });

  it('accepts an empty document and Kapacity-only fields', () => {
    expect(parsePrometheusMetricsConfig('')).toEqual({ rules: [], externalRules: [] });
    const config = parsePrometheusMetricsConfig(`
workloadPodNamePatterns:
- group: apps
  kind: StatefulSet
  pattern: ^%s-[0-9]+$
rules: []
`);
    expect(config.rules).toEqual([]);
  });

  it('defaults name.as to the whole match or the single group', () => {
    const config = parsePrometheusMetricsConfig(`
rules:
- seriesQuery: a
  metricsQuery: a
- seriesQuery: b
  metricsQuery: b
  name:
    matches: ^(.*)_total$
`);
    expect(config.rules.map((r) => r.nameAs)).toEqual(['$0', '$1']);
  });

  it.each([
    ['rules:\n- seriesQuery: a\n', /rules\[0\]\.metricsQuery: a non-empty string is required/],
    [
      'rules:\n- seriesQuery: a\n  metricsQuery: "<<if .X>>y<<end>>"\n',
      /rules\[0\]\.metricsQuery: unsupported template action/,
    ],
    [
      'externalRules:\n- seriesQuery: a\n  metricsQuery: a\n  name:\n    matches: "(a"\n',
      /externalRules\[0\]\.name\.matches: invalid regular expression/,
    ],
    [
      'rules:\n- seriesQuery: a\n  metricsQuery: a\n  name:\n    matches: ^(a)(b)$\n',
      /rules\[0\]\.name\.as: required/,
    ],
    [
      'rules:\n- seriesQuery: a\n  metricsQuery: a\n  seriesFilters:\n  - is: a\n    isNot: b\n',
      /seriesFilters\[0\]: cannot have both/,
    ],
    ['resourceRules:\n  window: soon\n', /resourceRules\.window: invalid duration/],
    ['resourceRules:\n  cpu:\n    containerQuery: x\n', /resourceRules\.cpu\.containerLabel/],
    ['rules: {}\n', /rules: must be a list/],
    ['rules: [\n', /not valid YAML/],
  ])('reports %j with its position', (text, message) => {
    expect(() => parsePrometheusMetricsConfig(text)).toThrow(MetricsConfigError);
    expect(() => parsePrometheusMetricsConfig(text)).toThrow(message);
  });
});
