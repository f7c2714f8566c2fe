// The Dockerfile, built without a Docker engine: its stages are parsed, their RUN commands run on a
// copy of the build context (filtered by .dockerignore), and what they produce is compared with
// what `npm run build` produces from the same sources. The final stage is then checked as the
// image it describes: only production dependencies and the compiled controller, a numeric non-root
// user, and an entrypoint that starts, loads the CUE engine and the gRPC service definition, and
// writes nothing. Slow by nature (npm ci twice, go build, tsc twice); warm caches keep it near a
// minute.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

import {
  dockerignore,
  emulateBuild,
  listFiles,
  parseCopy,
  parseDockerfile,
  parseExecForm,
  sameBytes,
  type EmulatedBuild,
  type Stage,
} from './dockerfile.js';

const ROOT = join(new URL(import.meta.url).pathname, '..', '..', '..', '..');
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const IGNORED = dockerignore(readFileSync(join(ROOT, '.dockerignore'), 'utf8'));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const stages = parseDockerfile(DOCKERFILE);
const finalStage = stages.at(-1) as Stage;

const runsOf = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const only = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

/** Runs a command to completion; throws with its output when it fails. */
function run(command: string, args: string[], cwd: string, timeoutMs = 180_000): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

describe('Dockerfile (static)', () => {
  test('a Go stage builds the CUE engine with the build:wasm script', () => {
    const wasm = stages[0] as Stage;
    expect(wasm.image).toMatch(/^golang:\d+\.\d+/);
    expect(PACKAGE.scripts['build:wasm']).toBe('bash cuelang-wasm/build.sh');
    expect(runsOf(wasm)).toContain(PACKAGE.scripts['build:wasm']);
  });

  test('a Node 20/22 slim stage installs with npm ci and compiles with the build script’s tsc', () => {
    const build = stages.find((s) => runsOf(s).some((r) => /\btsc\b/.test(r))) as Stage;
    expect(build.image).toMatch(/^node:(20|22)-slim$/);
    expect(runsOf(build)[0]).toMatch(/^npm ci(\s|$)/);
    // The same compiler invocation as `npm run build` (whose wasm half the Go stage does).
    const tsc = /tsc -p \S+/.exec(PACKAGE.scripts['build'] ?? '')?.[0];
    expect(tsc).toBe('tsc -p tsconfig.build.json');
    expect(runsOf(build)).toContain(`npx ${tsc}`);
  });

  test('the final stage: a current Node LTS slim image, production dependencies, numeric non-root user, the controller entrypoint', () => {
    const major = Number(/^node:(\d+)-slim$/.exec(finalStage.image)?.[1]);
    expect(major).toBeGreaterThanOrEqual(22);
    expect(major % 2).toBe(0);
    // Nothing runs in the final stage itself: its files come from the other stages, as built.
    expect(runsOf(finalStage)).toEqual([]);
    const copies = only(finalStage, 'COPY').map((i) => parseCopy(i.args));
    const deps = stages.find(
      (s) => s.name === copies.find((c) => c.dest.startsWith('node_modules'))?.from,
    ) as Stage;
    expect(deps.image).toBe(finalStage.image);
    expect(runsOf(deps)).toEqual([expect.stringMatching(/^npm ci --omit=dev(\s|$)/)]);
    const user = only(finalStage, 'USER').at(-1)?.args ?? '';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    expect(parseExecForm(only(finalStage, 'ENTRYPOINT').at(-1)?.args ?? '[]')).toEqual([
      'node',
      'dist/controllers/main.js',
    ]);
    expect(only(finalStage, 'CMD')).toEqual([]);
  });

  test('.dockerignore keeps local builds, dependencies and the local cluster out of the context', () => {
    for (const path of [
      'node_modules/yaml/package.json',
      'dist/controllers/main.js',
      'cuelang-wasm/dist/cue.wasm',
      '.cluster/kubeconfig',
      '.git/HEAD',
      'controllers/workloads/pod-ranking.test.ts',
      'test/unit/docker/dockerfile.test.ts',
    ]) {
      expect([path, IGNORED(path)]).toEqual([path, true]);
    }
    for (const path of [
      'controllers/main.ts',
      'cuelang-wasm/go/main.go',
      'cuelang-wasm/build.sh',
      'package-lock.json',
    ]) {
      expect([path, IGNORED(path)]).toEqual([path, false]);
    }
  });
});

describe('Dockerfile (its stages run on a copy of the repository)', () => {
  let workspace: string;
  let image: EmulatedBuild;
  /** A copy of the repository after `npm run build`. */
  let reference: string;

  beforeAll(() => {
    workspace = mkdtempSync(join(tmpdir(), 'rollscale-docker-'));
    image = emulateBuild(stages, { context: ROOT, workspace: join(workspace, 'image'), ignored: IGNORED });

    reference = join(workspace, 'reference');
    cpSync(ROOT, reference, {
      recursive: true,
      filter: (path) => {
        const rel = relative(ROOT, path);
        return !/^(node_modules|\.git|\.cluster|dist|cuelang-wasm\/dist|bench|test|\.helpers)(\/|$)/.test(
          rel,
        );
      },
    });
    symlinkSync(join(ROOT, 'node_modules'), join(reference, 'node_modules'));
    run('npm', ['run', 'build'], reference);
  }, 300_000);

  afterAll(() => {
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  test('the CUE engine is the one `npm run build` builds, byte for byte', () => {
    for (const file of ['cue.wasm', 'wasm_exec.js']) {
      const built = join(image.final, 'app', 'cuelang-wasm', 'dist', file);
      expect([file, sameBytes(built, join(reference, 'cuelang-wasm', 'dist', file))]).toEqual([file, true]);
    }
  });

  test('the compiled controller and CUE wrapper are what `npm run build` compiles', () => {
    for (const dir of ['controllers', 'cuelang-wasm']) {
      const built = join(image.final, 'app', 'dist', dir);
      const expected = join(reference, 'dist', dir);
      const expectedFiles = listFiles(expected);
      expect(expectedFiles).toContain(dir === 'controllers' ? 'main.js' : 'index.js');
      // The image adds the files the code reads next to itself (below), nothing else.
      const added = listFiles(built).filter((f) => !expectedFiles.includes(f));
      expect(added.every((f) => f.startsWith('metrics/grpc/proto/'))).toBe(true);
      for (const file of expectedFiles)
        expect([file, sameBytes(join(built, file), join(expected, file))]).toEqual([file, true]);
    }
  });

  test('every non-TypeScript file the controller code ships sits next to its compiled module', () => {
    const assets = listFiles(join(ROOT, 'controllers')).filter((f) => !/\.(ts|md)$/.test(f));
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      const shipped = join(image.final, 'app', 'dist', 'controllers', asset);
      expect([asset, sameBytes(shipped, join(ROOT, 'controllers', asset))]).toEqual([asset, true]);
    }
  });

  test('the image holds production dependencies, compiled code and data files only', () => {
    const files = listFiles(join(image.final, 'app'));
    const outside = files.filter(
      (f) =>
        !f.startsWith('node_modules/') &&
        !f.startsWith('dist/controllers/') &&
        !f.startsWith('dist/cuelang-wasm/') &&
        !f.startsWith('definitions/'),
    );
    expect(outside.sort()).toEqual([
      'cuelang-wasm/dist/cue.wasm',
      'cuelang-wasm/dist/wasm_exec.js',
      'package.json',
    ]);
    expect(
      files.filter((f) => !f.startsWith('node_modules/') && /\.ts$/.test(f) && !f.endsWith('.d.ts')),
    ).toEqual([]);
    // Exactly the lockfile's production packages: none marked dev, every required one present.
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
    };
    const installed = (path: string) => existsSync(join(image.final, 'app', path, 'package.json'));
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (!path.startsWith('node_modules/')) continue;
      if (entry.dev) expect([path, installed(path)]).toEqual([path, false]);
      else if (!entry.optional && !entry.devOptional) expect([path, installed(path)]).toEqual([path, true]);
    }
    for (const dependency of Object.keys(PACKAGE.dependencies))
      expect(installed(`node_modules/${dependency}`)).toBe(true);
    for (const tool of ['typescript', 'jest', 'tsx', 'eslint', 'ts-jest']) {
      expect([tool, installed(`node_modules/${tool}`)]).toEqual([tool, false]);
    }
  });

  test('the entrypoint starts, and the CUE engine and gRPC definition load from the image layout, writing nothing', () => {
    const app = join(image.final, 'app');
    const before = listFiles(app);
    const [command, ...entry] = parseExecForm(only(finalStage, 'ENTRYPOINT').at(-1)?.args ?? '[]');
    expect(command).toBe('node');
    const help = run(process.execPath, [...entry, '--help'], app);
    expect(help).toContain('--leader-elect');
    expect(help).toContain('--controllers');

    // A script file outside the image (an `-e` script would hand --input-type to the engine's worker).
    const smoke = join(workspace, 'smoke.mjs');
    const url = (path: string) => pathToFileURL(join(app, path)).href;
    writeFileSync(
      smoke,
      `const { createCueEngine } = await import(${JSON.stringify(url('dist/cuelang-wasm/index.js'))});
      const { providerServiceDefinition } = await import(${JSON.stringify(url('dist/controllers/metrics/grpc/proto.js'))});
      const cue = await createCueEngine();
      const { output } = await cue.render('output: replicas: parameter.n * 2', { parameter: { n: 3 } });
      await cue.close();
      console.log(JSON.stringify({ output, methods: Object.keys(providerServiceDefinition()).sort() }));
      `,
    );
    const out = run(process.execPath, [smoke], app);
    expect(JSON.parse(out.trim().split('\n').at(-1) as string)).toEqual({
      output: { replicas: 6 },
      methods: ['Query', 'QueryLatest'],
    });
    expect(listFiles(app)).toEqual(before);
  });
});
