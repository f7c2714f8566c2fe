// Joining the CUE files of an addon into one source for the render engine (pure). KubeVela
// evaluates an addon's CUE files as one package: `package` clauses go, imports move to the top
// (once each), bodies follow in order. A line map turns a position in the joined source back
// into the file and line the user wrote.

export interface CueFile {
  path: string;
  content: string;
}

export interface JoinedCue {
  source: string;
  /** The file and line of a 1-based line of `source`; undefined for the generated import block. */
  locate(line: number): { path: string; line: number } | undefined;
}

interface SplitFile {
  imports: string[];
  body: string[];
  /** 1-based line in the file where `body` starts. */
  bodyStart: number;
}

const PACKAGE = /^package\s+[A-Za-z_$#][\w$#]*\s*(\/\/.*)?$/;
const SINGLE_IMPORT = /^import\s+((?:[A-Za-z_$#][\w$#]*\s+)?"[^"]+")\s*(\/\/.*)?$/;
const IMPORT_BLOCK_START = /^import\s*\(\s*(\/\/.*)?$/;
const IMPORT_SPEC = /^((?:[A-Za-z_$#][\w$#]*\s+)?"[^"]+")\s*(\/\/.*)?$/;

/** Splits one file's preamble (comments, package clause, imports) from its declarations. */
function split(file: CueFile): SplitFile {
  const lines = file.content.split('\n');
  const imports: string[] = [];
  let index = 0;
  let inBlock = false;
  for (; index < lines.length; index++) {
    const line = (lines[index] as string).trim();
    if (inBlock) {
      if (line === ')') inBlock = false;
      else if (line !== '' && !line.startsWith('//')) {
        const spec = IMPORT_SPEC.exec(line);
        if (!spec)
          throw new Error(`${file.path} line ${index + 1}: cannot read import ${JSON.stringify(line)}`);
        imports.push(spec[1] as string);
      }
      continue;
    }
    if (line === '' || line.startsWith('//') || PACKAGE.test(line)) continue;
    const single = SINGLE_IMPORT.exec(line);
    if (single) {
      imports.push(single[1] as string);
      continue;
    }
    if (IMPORT_BLOCK_START.test(line)) {
      inBlock = true;
      continue;
    }
    break;
  }
  if (inBlock) throw new Error(`${file.path}: the import block is not closed`);
  // Comment lines of the preamble stay out: they would only shift positions.
  return { imports, body: lines.slice(index), bodyStart: index + 1 };
}

export function joinCueFiles(files: readonly CueFile[]): JoinedCue {
  const parts = files.map((file) => ({ file, ...split(file) }));
  const imports = [...new Set(parts.flatMap((p) => p.imports))];
  const out: string[] = [];
  const map: Array<{ from: number; to: number; path: string; fileLine: number }> = [];
  if (imports.length > 0) out.push('import (', ...imports.map((i) => `\t${i}`), ')', '');
  for (const part of parts) {
    const from = out.length + 1;
    out.push(...part.body);
    map.push({ from, to: out.length, path: part.file.path, fileLine: part.bodyStart });
    out.push('');
  }
  return {
    source: out.join('\n'),
    locate(line) {
      const entry = map.find((m) => line >= m.from && line <= m.to);
      return entry ? { path: entry.path, line: entry.fileLine + (line - entry.from) } : undefined;
    },
  };
}
