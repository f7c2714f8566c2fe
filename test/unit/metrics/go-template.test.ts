import {
  TemplateError,
  compileGoRegExp,
  compileTemplate,
  expandMatch,
} from '../../../controllers/metrics/index.js';

describe('compileTemplate (<< >> templates)', () => {
  it('substitutes field references', () => {
    const template = compileTemplate('sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)');
    expect(template.render({ Series: 'up', LabelMatchers: 'namespace="a"', GroupBy: 'pod' })).toBe(
      'sum(up{namespace="a"}) by (pod)',
    );
  });

  it('reads nested fields and prints a missing map entry as <no value>, as Go does', () => {
    const template = compileTemplate('<<.LabelValuesByName.namespace>>/<<.LabelValuesByName.pod>>');
    const data = { LabelValuesByName: new Map([['namespace', 'web']]) };
    expect(template.render(data)).toBe('web/<no value>');
  });

  it('honours whitespace trimming markers', () => {
    const template = compileTemplate('a   <<- .X ->>   b << .X >> c');
    expect(template.render({ X: '1' })).toBe('a1b 1 c');
  });

  it('formats lists the way Go prints slices', () => {
    expect(compileTemplate('<<.GroupBySlice>>').render({ GroupBySlice: ['pod', 'container'] })).toBe(
      '[pod container]',
    );
  });

  it('rejects unsupported actions when compiled, naming them', () => {
    expect(() => compileTemplate('<<range .GroupBySlice>>x<<end>>')).toThrow(TemplateError);
    expect(() => compileTemplate('<<range .GroupBySlice>>x<<end>>')).toThrow(/<<range \.GroupBySlice>>/);
    expect(() => compileTemplate('sum(<<.Series>>')).not.toThrow();
    expect(() => compileTemplate('sum(<<.Series')).toThrow(/unclosed action/);
  });

  it('fails on a field the data does not have (a typo in a rule)', () => {
    expect(() => compileTemplate('<<.Serie>>').render({ Series: 'up' })).toThrow(
      /can't evaluate field Serie/,
    );
  });
});

describe('expandMatch (Go Regexp.Expand)', () => {
  const match = (pattern: string, text: string) => compileGoRegExp(pattern).exec(text) as RegExpExecArray;

  it('expands numbered and braced groups', () => {
    const m = match('^(.*)_total$', 'http_requests_total');
    expect(expandMatch('${1}_per_second', m)).toBe('http_requests_per_second');
    expect(expandMatch('$1', m)).toBe('http_requests');
    expect(expandMatch('$0', m)).toBe('http_requests_total');
  });

  it('takes the longest name after $, so $1_total names a group that does not exist', () => {
    expect(expandMatch('$1_per_second', match('^(.*)_total$', 'x_total'))).toBe('');
  });

  it('supports named groups in Go syntax, $$ and literal text', () => {
    const m = match('^(?P<base>.*)_seconds$', 'latency_seconds');
    expect(expandMatch('${base}_ms', m)).toBe('latency_ms');
    expect(expandMatch('cost$$', m)).toBe('cost$');
    expect(expandMatch('nginx_ingress_controller_requests_rate', m)).toBe(
      'nginx_ingress_controller_requests_rate',
    );
    expect(expandMatch('${oops', m)).toBe('${oops');
  });

  it('turns a leading (?i) into a flag', () => {
    expect(compileGoRegExp('(?i)^HTTP').test('http_requests')).toBe(true);
  });
});
