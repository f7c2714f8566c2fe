// Just enough of Docker to check our Dockerfile without a Docker engine: a parser for the
// instructions it uses, `.dockerignore` matching, and an emulated build that gives each stage a
// directory of its own as its root filesystem, copies files as COPY would (from the filtered build
// context or from another stage), and runs each RUN command there with `sh -c`. The base images'
// contents (go, node, npm) are this machine's.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, posix, relative } from 'node:path';

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
  line: number;
}

export interface Stage {
  /** `FROM <image> AS <name>`; the last stage may have no name. */
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** Parses a Dockerfile into stages (comments and `\` line continuations handled). */
export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i] as string;
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i++;
      const next = lines[i] as string;
      if (/^\s*#/.test(next)) continue;
      line = line.replace(/\\\s*$/, ' ') + next.trim();
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start + 1}: cannot parse ${JSON.stringify(line)}`);
    instructions.push({
      keyword: (m[1] as string).toUpperCase(),
      args: (m[2] as string).trim(),
      line: start + 1,
    });
  }
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`Dockerfile line ${ins.line}: bad FROM`);
      stages.push({ image: m[1] as string, ...(m[2] ? { name: m[2] } : {}), instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} before FROM`);
      stage.instructions.push(ins);
    }
  }
  return stages;
}

export interface Copy {
  from?: string;
  sources: string[];
  dest: string;
}

/** `COPY [--from=stage] [--chown=…] src… dest` (shell form). */
export function parseCopy(args: string): Copy {
  const words = args.split(/\s+/);
  let from: string | undefined;
  while (words[0]?.startsWith('--')) {
    const option = words.shift() as string;
    if (option.startsWith('--from=')) from = option.slice('--from='.length);
  }
  const dest = words.pop();
  if (!dest || words.length === 0) throw new Error(`COPY ${args}: needs a source and a destination`);
  return { ...(from ? { from } : {}), sources: words, dest };
}

/** An exec-form array (`["node", "main.js"]`), as ENTRYPOINT and CMD take. */
export function parseExecForm(args: string): string[] {
  const value: unknown = JSON.parse(args);
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new Error(`not an exec-form array: ${args}`);
  }
  return value;
}

/** The `.dockerignore` rules as a predicate on context-relative paths (`a/b/c`). */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!');
      const pattern = posix.normalize((negated ? l.slice(1) : l).replace(/^\/+/, ''));
      let source = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i] as string;
        if (c === '*' && pattern[i + 1] === '*') {
          // `**/` matches any number of directories, a trailing `**` anything.
          source += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
          i += pattern[i + 2] === '/' ? 2 : 1;
        } else if (c === '*') source += '[^/]*';
        else if (c === '?') source += '[^/]';
        else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negated, regex: new RegExp(`^${source}$`) };
    });
  return (path: string) => {
    const parts = path.split('/');
    // A path is excluded when it or one of its parent directories matches; the last rule wins.
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const rule of rules) {
      if (prefixes.some((p) => rule.regex.test(p))) ignored = !rule.negated;
    }
    return ignored;
  };
}

export interface EmulatedBuild {
  /** Stage name (or index) → the directory standing for its root filesystem. */
  roots: Map<string, string>;
  /** The last stage's root. */
  final: string;
  /** Every RUN executed, with where and how long. */
  runs: Array<{ stage: string; command: string; workdir: string; ms: number }>;
}

export interface EmulateOptions {
  /** The build context (the repository). */
  context: string;
  /** An empty directory to build in. */
  workspace: string;
  ignored: (path: string) => boolean;
  env?: NodeJS.ProcessEnv;
  /** Per RUN command. */
  timeoutMs?: number;
}

function inRoot(root: string, path: string): string {
  return join(root, path);
}

/** Runs every stage in order. Throws on the first failing RUN (with its output). */
export function emulateBuild(stages: readonly Stage[], options: EmulateOptions): EmulatedBuild {
  const roots = new Map<string, string>();
  const runs: EmulatedBuild['runs'] = [];
  let final = '';
  stages.forEach((stage, index) => {
    const id = stage.name ?? String(index);
    const root = join(options.workspace, `stage-${index}-${stage.name ?? 'final'}`);
    mkdirSync(root, { recursive: true });
    roots.set(id, root);
    roots.set(String(index), root);
    let workdir = '/';
    const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
    for (const ins of stage.instructions) {
      switch (ins.keyword) {
        case 'WORKDIR':
          workdir = posix.resolve(workdir, ins.args);
          mkdirSync(inRoot(root, workdir), { recursive: true });
          break;
        case 'ENV': {
          const m = /^(\S+?)(?:=|\s+)(.*)$/.exec(ins.args);
          if (m) env[m[1] as string] = (m[2] as string).replace(/^"(.*)"$/, '$1');
          break;
        }
        case 'COPY': {
          const copy = parseCopy(ins.args);
          const sourceRoot = copy.from ? roots.get(copy.from) : options.context;
          if (!sourceRoot) throw new Error(`Dockerfile line ${ins.line}: no stage ${copy.from}`);
          const dest = inRoot(root, posix.resolve(workdir, copy.dest));
          const intoDirectory = copy.dest.endsWith('/') || copy.sources.length > 1;
          for (const source of copy.sources) {
            const from = copy.from
              ? inRoot(sourceRoot, posix.resolve('/', source))
              : join(sourceRoot, source);
            if (
              !existsSync(from) ||
              (!copy.from && options.ignored(posix.normalize(source).replace(/\/$/, '')))
            ) {
              throw new Error(
                `Dockerfile line ${ins.line}: COPY source ${source} is not in the build context`,
              );
            }
            const isDir = statSync(from).isDirectory();
            const target = isDir || !intoDirectory ? dest : join(dest, basename(from));
            cpSync(from, target, {
              recursive: true,
              verbatimSymlinks: true,
              filter: (path) => copy.from !== undefined || !options.ignored(relative(sourceRoot, path)),
            });
          }
          break;
        }
        case 'RUN': {
          const cwd = inRoot(root, workdir);
          const started = Date.now();
          const result = spawnSync('sh', ['-c', ins.args], {
            cwd,
            env,
            encoding: 'utf8',
            timeout: options.timeoutMs ?? 180_000,
            maxBuffer: 64 * 1024 * 1024,
          });
          runs.push({ stage: id, command: ins.args, workdir, ms: Date.now() - started });
          if (result.status !== 0) {
            throw new Error(
              `Dockerfile line ${ins.line} (${id}): RUN ${ins.args} failed (${result.status ?? result.signal}):\n` +
                `${result.stdout}\n${result.stderr}`,
            );
          }
          break;
        }
        default:
          // USER, EXPOSE, ENTRYPOINT, CMD, LABEL, ARG: nothing to do on the filesystem.
          break;
      }
    }
    final = root;
  });
  return { roots, final, runs };
}

/** Every file under `dir` (relative paths), symlinks listed as files. */
export function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path, base));
    else out.push(relative(base, path));
  }
  return out.sort();
}

export function sameBytes(a: string, b: string): boolean {
  return readFileSync(a).equals(readFileSync(b));
}
