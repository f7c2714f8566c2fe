// Joining an addon's CUE files into one source: package clauses dropped, imports hoisted once,
// and positions mapped back to the files.

import { joinCueFiles } from '../../../cli/cue-source.js';

describe('joinCueFiles', () => {
  const a = {
    path: 'resources/a.cue',
    content: [
      '// a comment',
      'package main',
      '',
      'import "strings"',
      'import (',
      '\t"list"',
      '\tj "encoding/json"',
      ')',
      '',
      'a: strings.ToUpper("x")',
      'b: 1',
    ].join('\n'),
  };
  const b = {
    path: 'parameter.cue',
    content: ['package main', 'import "strings"', 'parameter: {', '\tname: string', '}'].join('\n'),
  };

  test('imports come first, once each; package clauses are gone; bodies follow in order', () => {
    const joined = joinCueFiles([a, b]);
    expect(joined.source).not.toMatch(/package main/);
    expect(joined.source.startsWith('import (\n\t"strings"\n\t"list"\n\tj "encoding/json"\n)\n')).toBe(true);
    expect(joined.source.match(/"strings"/g)).toHaveLength(1);
    expect(joined.source.indexOf('a: strings.ToUpper')).toBeLessThan(joined.source.indexOf('parameter: {'));
  });

  test('lines of the joined source map back to the file and line', () => {
    const joined = joinCueFiles([a, b]);
    const lines = joined.source.split('\n');
    const lineOf = (text: string) => lines.indexOf(text) + 1;
    expect(joined.locate(lineOf('a: strings.ToUpper("x")'))).toEqual({ path: 'resources/a.cue', line: 10 });
    expect(joined.locate(lineOf('b: 1'))).toEqual({ path: 'resources/a.cue', line: 11 });
    expect(joined.locate(lineOf('\tname: string'))).toEqual({ path: 'parameter.cue', line: 4 });
    expect(joined.locate(1)).toBeUndefined();
  });

  test('a file without preamble is taken whole', () => {
    const joined = joinCueFiles([{ path: 'x.cue', content: 'x: 1\ny: 2' }]);
    expect(joined.source).toBe('x: 1\ny: 2\n');
    expect(joined.locate(2)).toEqual({ path: 'x.cue', line: 2 });
  });

  test('an unclosed import block is reported with the file', () => {
    expect(() => joinCueFiles([{ path: 'bad.cue', content: 'import (\n"strings"\n' }])).toThrow(
      'bad.cue: the import block is not closed',
    );
  });
});
