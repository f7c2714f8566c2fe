// Benchmark: predictive replicas (the built-in forecasting job's pipeline, cli/predict/plan.ts)
// against the replicas the traffic needed, and against a reactive KubeHPA (our
// calculateReplicas), on synthetic traffic. Pure computation: no cluster, no Prometheus.
//
//   npm run bench:predict
//
// Traffic: a 1-hour cycle (like the walkthrough's periodic client) with noise and a growth trend;
// a second scenario adds day-of-week levels (quiet weekend) and runs with eight days of history.
// CPU usage = per-pod baseline × ready pods + cost × requests (+ noise); a pod should use at most
// the target (AverageValue). Every minute the traffic needs ceil(cost × rps / (target − baseline))
// ready pods.
//
//   predictive  every 30 minutes (the walkthrough's CronJob schedule) the pipeline runs on the
//               history before that moment and its TimeSeries result drives the replicas until
//               the next run; increases are written --scale-up-ahead-seconds early.
//   reactive    the HPA every 15 s on the CPU usage as Prometheus shows it a minute late
//               (scrape interval plus rate window), 10 % tolerance, the default 5-minute
//               scale-down stabilisation and upstream's rules for pods that are not ready yet.
//   both        new pods take a minute to become ready; removed pods go at once.
//
// Per 10-minute scaling window: under-provisioned when in any minute fewer pods were ready than
// that minute needed; over-provisioning = (mean ready pods − needed) / needed, where needed is the
// window's largest need (windows that are short count zero over-provisioning; the mean over the
// covered windows alone is reported too), and pod-minutes used over pod-minutes needed. Writes
// bench/results/predict.json and bench/results/predict.svg (predicted, needed and reactive
// replicas of the first scenario).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { planReplicas, type PlanOptions, type PlanResult } from '../cli/predict/plan.js';
import { timeSeriesValueAt } from '../controllers/portrait/providers/time-series.js';
import {
  calculateReplicas,
  type MetricSpec,
  type PodSnapshot,
} from '../controllers/portrait/replica-calculator.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------------
// Synthetic world

/** Deterministic pseudo-random numbers (mulberry32) and standard normal draws. */
function random(seed: number): { uniform(): number; normal(): number } {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()),
  };
}

interface Scenario {
  name: string;
  description: string;
  historyMs: number;
  evaluationMs: number;
  /** Local weekday levels, Monday first; undefined: every day alike. */
  weekdayLevels?: number[];
  seed: number;
}

const WORLD = {
  baseRps: 400,
  noise: 0.06,
  trendPerDay: 0.08,
  costPerRps: 0.005,
  baselinePerPod: 0.02,
  usageNoise: 0.02,
  target: 0.15,
  timeDeltaHours: 8,
  startupMinutes: 1,
  metricLagMinutes: 1,
};

/** Requests per second in each minute of [0, minutes). */
function traffic(scenario: Scenario, startMs: number, minutes: number): number[] {
  const rng = random(scenario.seed);
  const values: number[] = [];
  for (let m = 0; m < minutes; m++) {
    const t = startMs + m * MINUTE;
    const phase = (t % HOUR) / HOUR;
    const cycle = 1 + 0.6 * Math.sin(2 * Math.PI * phase) + 0.15 * Math.sin(4 * Math.PI * phase);
    const growth = 1 + (WORLD.trendPerDay * m * MINUTE) / DAY;
    let level = 1;
    if (scenario.weekdayLevels) {
      // 1970-01-05 was a Monday.
      const localDay = Math.floor((t + WORLD.timeDeltaHours * HOUR) / DAY);
      level = scenario.weekdayLevels[(((localDay - 4) % 7) + 7) % 7] as number;
    }
    values.push(Math.max(0, WORLD.baseRps * cycle * growth * level * (1 + WORLD.noise * rng.normal())));
  }
  return values;
}

const needOf = (rps: number): number => (WORLD.costPerRps * rps) / (WORLD.target - WORLD.baselinePerPod);

// ---------------------------------------------------------------------------------------------
// Reactive KubeHPA

const CPU_METRIC: MetricSpec[] = [
  {
    type: 'Resource',
    resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: `${WORLD.target * 1000}m` } },
  },
];

interface PodState {
  name: string;
  requestedAt: number;
  readyAt: number;
}

/**
 * Runs the HPA over every minute of `rps` (15 s syncs). Returns ready pods per minute and the
 * CPU usage per minute those pods produced.
 */
function simulateReactive(
  startMs: number,
  rps: readonly number[],
  seed: number,
): { ready: number[]; usage: number[] } {
  const rng = random(seed);
  const minutes = rps.length;
  let pods: PodState[] = [];
  let counter = 0;
  const addPods = (count: number, at: number) => {
    for (let i = 0; i < count; i++) {
      pods.push({ name: `web-${counter++}`, requestedAt: at, readyAt: at + WORLD.startupMinutes * MINUTE });
    }
  };
  addPods(Math.max(1, Math.ceil(needOf(rps[0] as number))), startMs - HOUR);
  const ready: number[] = [];
  const usage: number[] = [];
  const recommendations: Array<{ at: number; replicas: number }> = [];
  for (let m = 0; m < minutes; m++) {
    const minuteStart = startMs + m * MINUTE;
    const readyNow = pods.filter((p) => p.readyAt <= minuteStart).length;
    ready.push(readyNow);
    usage.push(
      (WORLD.baselinePerPod * readyNow + WORLD.costPerRps * (rps[m] as number)) *
        (1 + WORLD.usageNoise * rng.normal()),
    );
    for (let sync = 0; sync < 4; sync++) {
      const now = minuteStart + sync * 15_000;
      const observed = m - WORLD.metricLagMinutes;
      if (observed < 0) continue;
      const observedAt = startMs + observed * MINUTE;
      const servingThen = pods.filter((p) => p.readyAt <= observedAt);
      const perPod = servingThen.length > 0 ? (usage[observed] as number) / servingThen.length : 0;
      const snapshots: PodSnapshot[] = pods.map((p) => ({
        name: p.name,
        phase: 'Running',
        ready: p.readyAt <= now,
        readyTransitionTime: new Date(p.readyAt <= now ? p.readyAt : p.requestedAt),
        startTime: new Date(p.requestedAt),
        containers: [{ name: 'app', requests: { cpu: `${WORLD.target * 1000}m` } }],
      }));
      const samples = servingThen.map((p) => ({
        pod: p.name,
        timestamp: new Date(observedAt + MINUTE),
        windowSeconds: 60,
        value: `${Math.round(perPod * 1000)}m`,
      }));
      const result = calculateReplicas({
        metrics: CPU_METRIC,
        observations: [{ kind: 'pods', samples }],
        pods: snapshots,
        currentReplicas: pods.length,
        now: new Date(now),
      });
      if (!result.ok) continue;
      recommendations.push({ at: now, replicas: result.replicas });
      while ((recommendations[0]?.at ?? now) < now - 5 * MINUTE) recommendations.shift();
      // Scale-down stabilisation: the highest recommendation of the last five minutes.
      const desired = Math.max(1, Math.max(...recommendations.map((r) => r.replicas)));
      if (desired > pods.length) addPods(desired - pods.length, now);
      else if (desired < pods.length) {
        // Not-ready pods go first, then the newest.
        pods = [...pods].sort((a, b) => b.readyAt - a.readyAt).slice(pods.length - desired);
      }
    }
  }
  return { ready, usage };
}

// ---------------------------------------------------------------------------------------------
// Predictive

const PLAN: Omit<PlanOptions, 'target'> = {
  testSizeMs: HOUR,
  scalingFreqMs: 10 * MINUTE,
  scaleUpAheadMs: 2 * MINUTE,
  horizonMs: HOUR,
  timeDeltaHours: WORLD.timeDeltaHours,
  maxTestError: 0.25,
  minCorrelation: 0.5,
  windowCoverage: 0.95,
};
const RUN_EVERY = 30 * MINUTE;

interface PredictiveRun {
  at: number;
  result: PlanResult;
}

// ---------------------------------------------------------------------------------------------
// Scoring

interface Score {
  windows: number;
  underProvisionedWindows: number;
  underProvisionedShare: number;
  meanOverProvisioning: number;
  /** The same over the covered windows only. */
  meanOverProvisioningCovered: number;
  /** Pod-minutes used over pod-minutes needed (per-minute need). */
  podMinutesRatio: number;
}

function score(
  readyByMinute: readonly number[],
  needByMinute: readonly number[],
  startMs: number,
): Score & { perWindow: Array<{ start: number; needed: number; provided: number }> } {
  const windowMinutes = PLAN.scalingFreqMs / MINUTE;
  const perWindow: Array<{ start: number; needed: number; provided: number }> = [];
  let under = 0;
  let overSum = 0;
  let used = 0;
  let needed = 0;
  for (let w = 0; w + windowMinutes <= readyByMinute.length; w += windowMinutes) {
    let windowNeed = 0;
    let short = false;
    let readySum = 0;
    for (let m = w; m < w + windowMinutes; m++) {
      const need = Math.ceil((needByMinute[m] as number) - 1e-9);
      windowNeed = Math.max(windowNeed, need);
      if ((readyByMinute[m] as number) < need) short = true;
      readySum += readyByMinute[m] as number;
      used += readyByMinute[m] as number;
      needed += needByMinute[m] as number;
    }
    const provided = readySum / windowMinutes;
    if (short) under++;
    else overSum += Math.max(0, provided - windowNeed) / windowNeed;
    perWindow.push({ start: startMs + w * MINUTE, needed: windowNeed, provided });
  }
  const windows = perWindow.length;
  return {
    windows,
    underProvisionedWindows: under,
    underProvisionedShare: round(under / windows),
    meanOverProvisioning: round(overSum / windows),
    meanOverProvisioningCovered: round(overSum / Math.max(1, windows - under)),
    podMinutesRatio: round(used / needed),
    perWindow,
  };
}

function round(v: number): number {
  return Math.round(v * 10_000) / 10_000;
}

// ---------------------------------------------------------------------------------------------

interface ScenarioOutcome {
  scenario: Scenario;
  predictive: Score;
  reactive: Score;
  runs: {
    total: number;
    refused: number;
    reasons: string[];
    medianHeadroom: number;
    periodMinutes: number[];
  };
  series: { start: number; needed: number[]; predictive: number[]; reactive: number[] };
}

function runScenario(scenario: Scenario): ScenarioOutcome {
  // Evaluation starts at a local Saturday noon for the weekday scenario (covering the weekend
  // and the Monday morning rise), at an ordinary hour otherwise.
  const evaluationStart = Date.UTC(2024, 5, 8, 4, 0, 0); // Saturday 12:00 at UTC+8
  const startMs = evaluationStart - scenario.historyMs;
  const totalMinutes = (scenario.historyMs + scenario.evaluationMs) / MINUTE;
  const rps = traffic(scenario, startMs, totalMinutes);
  const need = rps.map(needOf);
  const reactive = simulateReactive(startMs, rps, scenario.seed + 1);

  const historyMinutes = scenario.historyMs / MINUTE;
  const evalMinutes = scenario.evaluationMs / MINUTE;
  const runs: PredictiveRun[] = [];
  const desired: number[] = new Array<number>(evalMinutes).fill(0);
  let current: Extract<PlanResult, { ok: true }> | undefined;
  let fallback = Math.max(1, Math.ceil(need[historyMinutes - 1] as number));
  for (let m = 0; m < evalMinutes; m++) {
    const now = evaluationStart + m * MINUTE;
    if ((now - evaluationStart) % RUN_EVERY === 0) {
      const end = historyMinutes + m;
      const from = end - historyMinutes;
      const timestamps = Array.from({ length: historyMinutes }, (_, i) => startMs + (from + i) * MINUTE);
      const result = planReplicas(
        {
          timestamps,
          stepMs: MINUTE,
          usage: reactive.usage.slice(from, end),
          replicas: reactive.ready.slice(from, end),
          traffic: [{ name: 'qps', values: rps.slice(from, end) }],
        },
        { ...PLAN, target: WORLD.target },
      );
      runs.push({ at: now, result });
      if (result.ok) current = result;
    }
    const value = current
      ? timeSeriesValueAt(
          {
            timeSeries: Object.entries(current.timeSeries).map(([t, r]) => ({
              timestamp: Number(t),
              replicas: r,
            })),
            expireTime: new Date(current.expireTime),
          },
          new Date(now),
        )
      : undefined;
    // When the portrait has no value the IHPA keeps the replicas it has.
    if (value) fallback = value.replicas;
    desired[m] = fallback;
  }
  // Scale-ups take the startup time to become ready; scale-downs are immediate.
  const lag = WORLD.startupMinutes;
  const ready = desired.map((d, m) => Math.min(d, desired[Math.max(0, m - lag)] as number));
  const evalNeed = need.slice(historyMinutes);
  const reactiveReady = reactive.ready.slice(historyMinutes);
  const predictiveScore = score(ready, evalNeed, evaluationStart);
  const reactiveScore = score(reactiveReady, evalNeed, evaluationStart);
  const refused = runs.filter((r) => !r.result.ok);
  const headrooms = runs.flatMap((r) =>
    r.result.ok && r.result.report.headroom ? [r.result.report.headroom] : [],
  );
  const periods = new Set(runs.flatMap((r) => r.result.report.traffic.map((t) => t.periodMinutes ?? 0)));
  const { perWindow: predictiveWindows, ...predictive } = predictiveScore;
  const { perWindow: reactiveWindows, ...reactiveSummary } = reactiveScore;
  return {
    scenario,
    predictive,
    reactive: reactiveSummary,
    runs: {
      total: runs.length,
      refused: refused.length,
      reasons: [...new Set(refused.map((r) => (r.result.ok ? '' : r.result.reason)))],
      medianHeadroom: headrooms.sort((a, b) => a - b)[Math.floor(headrooms.length / 2)] ?? 1,
      periodMinutes: [...periods].sort((a, b) => a - b),
    },
    series: {
      start: evaluationStart,
      needed: predictiveWindows.map((w) => w.needed),
      predictive: predictiveWindows.map((w) => round(w.provided)),
      reactive: reactiveWindows.map((w) => round(w.provided)),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Plot

function plot(outcomes: readonly ScenarioOutcome[]): string {
  const width = 1100;
  const panelHeight = 300;
  const margin = { left: 60, right: 20, top: 40, bottom: 40 };
  const height = outcomes.length * (panelHeight + margin.top + margin.bottom) + 30;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
  ];
  const colors = { needed: '#222222', predictive: '#1f77b4', reactive: '#d62728' };
  outcomes.forEach((outcome, panel) => {
    const top = panel * (panelHeight + margin.top + margin.bottom) + margin.top;
    const { needed, predictive, reactive } = outcome.series;
    const count = needed.length;
    const maxY = Math.ceil(Math.max(...needed, ...predictive, ...reactive) * 1.1);
    const plotWidth = width - margin.left - margin.right;
    const x = (i: number) => margin.left + (i / count) * plotWidth;
    const y = (v: number) => top + panelHeight - (v / maxY) * panelHeight;
    parts.push(
      `<text x="${margin.left}" y="${top - 12}" font-size="14" font-weight="bold">${escapeXml(outcome.scenario.name)}: replicas per 10-minute window</text>`,
    );
    parts.push(
      `<line x1="${margin.left}" y1="${top + panelHeight}" x2="${width - margin.right}" y2="${top + panelHeight}" stroke="#888"/>`,
    );
    parts.push(
      `<line x1="${margin.left}" y1="${top}" x2="${margin.left}" y2="${top + panelHeight}" stroke="#888"/>`,
    );
    for (let v = 0; v <= maxY; v += Math.max(1, Math.round(maxY / 6))) {
      parts.push(
        `<line x1="${margin.left - 4}" y1="${y(v)}" x2="${width - margin.right}" y2="${y(v)}" stroke="#eee"/>`,
      );
      parts.push(`<text x="${margin.left - 8}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
    }
    const hours = (count * PLAN.scalingFreqMs) / HOUR;
    const tick = hours > 24 ? 6 : 2;
    for (let h = 0; h <= hours; h += tick) {
      const i = (h * HOUR) / PLAN.scalingFreqMs;
      parts.push(`<text x="${x(i)}" y="${top + panelHeight + 16}" text-anchor="middle">+${h} h</text>`);
    }
    const step = (values: readonly number[]) => {
      const points: string[] = [];
      values.forEach((v, i) =>
        points.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`, `${x(i + 1).toFixed(1)},${y(v).toFixed(1)}`),
      );
      return points.join(' ');
    };
    parts.push(
      `<polyline fill="none" stroke="${colors.reactive}" stroke-width="1.2" opacity="0.8" points="${step(reactive)}"/>`,
    );
    parts.push(
      `<polyline fill="none" stroke="${colors.needed}" stroke-width="1.5" points="${step(needed)}"/>`,
    );
    parts.push(
      `<polyline fill="none" stroke="${colors.predictive}" stroke-width="1.5" points="${step(predictive)}"/>`,
    );
    const legend = [
      ['needed (largest per-minute need)', colors.needed],
      [
        `predictive: ${pct(outcome.predictive.underProvisionedShare)} windows short, ${pct(outcome.predictive.meanOverProvisioning)} over`,
        colors.predictive,
      ],
      [
        `reactive HPA (mean ready): ${pct(outcome.reactive.underProvisionedShare)} short, ${pct(outcome.reactive.meanOverProvisioning)} over`,
        colors.reactive,
      ],
    ] as const;
    legend.forEach(([label, color], i) => {
      const ly = top + 8 + i * 16;
      parts.push(
        `<line x1="${margin.left + 10}" y1="${ly}" x2="${margin.left + 34}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
      );
      parts.push(`<text x="${margin.left + 40}" y="${ly + 4}">${escapeXml(label)}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)} %`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// ---------------------------------------------------------------------------------------------

const SCENARIOS: Scenario[] = [
  {
    name: 'hourly cycle + noise + trend',
    description: '1-hour cycle, 6 % noise per minute, +8 %/day growth; 24 h history (--re-history-len=24H)',
    historyMs: DAY,
    evaluationMs: 2 * DAY,
    seed: 42,
  },
  {
    name: 'hourly cycle + day-of-week levels',
    description:
      'as above, weekend at 55-60 % and Monday at 110 % of a weekday; 10 days of history (--re-history-len=10D)',
    historyMs: 10 * DAY,
    evaluationMs: 2 * DAY,
    weekdayLevels: [1.1, 1, 1, 1, 1, 0.6, 0.55],
    seed: 7,
  },
];

function main(): void {
  const started = performance.now();
  const outcomes = SCENARIOS.map(runScenario);
  const targets = { maxUnderProvisionedShare: 0.05, maxMeanOverProvisioning: 0.15 };
  const results = {
    generatedAt: new Date().toISOString(),
    world: WORLD,
    plan: { ...PLAN, runEveryMinutes: RUN_EVERY / MINUTE },
    targets,
    scenarios: outcomes.map((o) => ({
      name: o.scenario.name,
      description: o.scenario.description,
      predictive: o.predictive,
      reactive: o.reactive,
      runs: o.runs,
      meetsTargets:
        o.predictive.underProvisionedShare <= targets.maxUnderProvisionedShare &&
        o.predictive.meanOverProvisioning <= targets.maxMeanOverProvisioning &&
        o.predictive.underProvisionedWindows < o.reactive.underProvisionedWindows,
    })),
    elapsedSeconds: round((performance.now() - started) / 1000),
  };
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'predict.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, 'predict.svg'), `${plot(outcomes)}\n`);
  for (const s of results.scenarios) {
    console.log(
      `${s.name}: predictive ${pct(s.predictive.underProvisionedShare)} windows under-provisioned, ` +
        `${pct(s.predictive.meanOverProvisioning)} mean over-provisioning (pod-minutes ×${s.predictive.podMinutesRatio}); ` +
        `reactive ${pct(s.reactive.underProvisionedShare)} / ${pct(s.reactive.meanOverProvisioning)} (×${s.reactive.podMinutesRatio}); ` +
        `runs ${s.runs.total - s.runs.refused}/${s.runs.total} ok, headroom ×${s.runs.medianHeadroom}, periods ${s.runs.periodMinutes.join(',')} min` +
        `${s.meetsTargets ? '' : '  [targets missed]'}`,
    );
    if (s.runs.reasons.length) console.log(`  refusals: ${s.runs.reasons.join(' | ')}`);
  }
  console.log(
    `wrote bench/results/predict.json and bench/results/predict.svg in ${results.elapsedSeconds} s`,
  );
}

main();
