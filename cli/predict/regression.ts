// How much of the scaled resource (cpu, memory) the workload uses for its traffic (pure).
//
// Total usage is modelled as a per-pod baseline plus a cost per unit of each traffic metric:
//
//   usage = base × readyReplicas + Σ cost_k × traffic_k
//
// fitted by least squares over the history, or `usage = base + Σ cost_k × traffic_k` (a constant
// baseline) when that explains the history better — always when the ready replica count barely
// changed, since a per-pod baseline cannot then be told apart from a constant. The replicas that keep the per-pod target are
// then the smallest R with usage(R) / R ≤ target:
//
//   per-pod baseline:  R ≥ Σ cost_k × traffic_k / (target − base)
//   constant baseline: R ≥ (base + Σ cost_k × traffic_k) / target

export interface UsageRow {
  usage: number;
  replicas: number;
  traffic: readonly number[];
}

export interface UsageModel {
  baseline: 'per-pod' | 'constant';
  base: number;
  costs: number[];
}

export class UsageModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageModelError';
  }
}

/** Solves (XᵀX) b = Xᵀy by Gaussian elimination with partial pivoting. */
export function leastSquares(rows: readonly (readonly number[])[], y: readonly number[]): number[] {
  const k = rows[0]?.length ?? 0;
  const a: number[][] = Array.from({ length: k }, () => new Array<number>(k + 1).fill(0));
  rows.forEach((x, r) => {
    for (let i = 0; i < k; i++) {
      const row = a[i] as number[];
      for (let j = 0; j < k; j++) row[j] = (row[j] as number) + (x[i] as number) * (x[j] as number);
      row[k] = (row[k] as number) + (x[i] as number) * (y[r] as number);
    }
  });
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++) {
      if (Math.abs((a[r] as number[])[col] as number) > Math.abs((a[pivot] as number[])[col] as number))
        pivot = r;
    }
    [a[col], a[pivot]] = [a[pivot] as number[], a[col] as number[]];
    const p = (a[col] as number[])[col] as number;
    if (Math.abs(p) < 1e-12)
      throw new UsageModelError('the history does not determine the usage model (collinear inputs)');
    for (let r = 0; r < k; r++) {
      if (r === col) continue;
      const f = ((a[r] as number[])[col] as number) / p;
      for (let c = col; c <= k; c++) {
        (a[r] as number[])[c] = ((a[r] as number[])[c] as number) - f * ((a[col] as number[])[c] as number);
      }
    }
  }
  return a.map((row, i) => (row[k] as number) / (row[i] as number));
}

/** Pearson correlation; 0 when either side is constant. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = Math.min(x.length, y.length);
  if (n < 2) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

/** Ready replicas "barely changed": fewer than two distinct counts, or a spread under 5 % of the mean. */
function replicasVary(rows: readonly UsageRow[]): boolean {
  const values = rows.map((r) => r.replicas);
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length);
  return new Set(values.map((v) => Math.round(v))).size >= 2 && m > 0 && sd / m >= 0.05;
}

/**
 * Fits the usage model. Throws UsageModelError when a traffic metric comes out with a negative
 * cost (usage does not grow with it).
 */
export function fitUsageModel(rows: readonly UsageRow[], trafficNames: readonly string[]): UsageModel {
  if (rows.length < trafficNames.length + 2) {
    throw new UsageModelError(`${rows.length} complete history points are too few to learn the usage model`);
  }
  const y = rows.map((r) => r.usage);
  const sse = (m: UsageModel) =>
    rows.reduce((sum, r) => sum + (predictUsage(m, r.replicas, r.traffic) - r.usage) ** 2, 0);
  const constant = leastSquares(
    rows.map((r) => [1, ...r.traffic]),
    y,
  );
  let model: UsageModel = {
    baseline: 'constant',
    base: Math.max(0, constant[0] as number),
    costs: constant.slice(1),
  };
  if (replicasVary(rows)) {
    // Both shapes have as many parameters; the one that explains the history better wins.
    const b = leastSquares(
      rows.map((r) => [r.replicas, ...r.traffic]),
      y,
    );
    const perPod: UsageModel = { baseline: 'per-pod', base: b[0] as number, costs: b.slice(1) };
    if (perPod.base >= 0 && sse(perPod) <= sse(model)) model = perPod;
  }
  model.costs.forEach((cost, i) => {
    if (!(cost > 0)) {
      throw new UsageModelError(
        `usage does not grow with traffic metric ${trafficNames[i] ?? i} (fitted cost ${cost.toPrecision(3)} per unit)`,
      );
    }
  });
  return model;
}

export function predictUsage(model: UsageModel, replicas: number, traffic: readonly number[]): number {
  const load = model.costs.reduce((sum, cost, i) => sum + cost * (traffic[i] ?? 0), 0);
  return (model.baseline === 'per-pod' ? model.base * replicas : model.base) + load;
}

/**
 * The (fractional) replicas keeping usage per pod at `target`. Throws UsageModelError when no
 * count can (the per-pod baseline alone reaches the target).
 */
export function requiredReplicas(model: UsageModel, traffic: readonly number[], target: number): number {
  const load = model.costs.reduce((sum, cost, i) => sum + cost * Math.max(0, traffic[i] ?? 0), 0);
  if (model.baseline === 'per-pod') {
    if (model.base >= target) {
      throw new UsageModelError(
        `each pod uses ${model.base.toPrecision(3)} at rest, at or above the target ${target.toPrecision(3)}: no replica count meets the target`,
      );
    }
    return load / (target - model.base);
  }
  return (model.base + load) / target;
}

/**
 * The replicas the observed usage needed: the traffic's share of usage (observed usage minus
 * the baseline of the replicas that served it) spread at `target` per pod.
 */
export function observedNeed(model: UsageModel, usage: number, replicas: number, target: number): number {
  if (model.baseline === 'per-pod') return Math.max(0, usage - model.base * replicas) / (target - model.base);
  return Math.max(0, usage) / target;
}
