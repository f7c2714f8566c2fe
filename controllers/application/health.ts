// Health of a rendered component from the live objects, through its definitions' CUE status
// snippets: `healthPolicy` (isHealth) and `customStatus` (message). context.output is the live
// workload and context.outputs the live outputs by output name, as KubeVela passes them. A
// component whose workload a trait manages (rollout) is as healthy as that trait says.

import type { CueEngine } from '../../cuelang-wasm/index.js';
import { errorMessage } from '../kit/log.js';
import type { KubeObject } from '../kit/objects.js';
import { refOf, type ObjectRef } from './planner.js';
import type { RenderedComponent } from './render.js';
import type { JsonObject, ServiceStatus, StatusPolicy, TraitStatus } from './types.js';

export type StatusEvaluator = Pick<CueEngine, 'evalStatus'>;

/** The live object for a rendered one (cache or a read), undefined when it does not exist. */
export type LiveLookup = (ref: ObjectRef) => KubeObject | undefined;

interface Verdict {
  healthy: boolean;
  message?: string;
}

async function evaluate(
  engine: StatusEvaluator,
  policy: StatusPolicy | undefined,
  parameter: JsonObject,
  context: JsonObject,
): Promise<Verdict> {
  const healthPolicy = policy?.healthPolicy?.trim() ? policy.healthPolicy : undefined;
  const customStatus = policy?.customStatus?.trim() ? policy.customStatus : undefined;
  if (!healthPolicy && !customStatus) return { healthy: true };
  try {
    const result = await engine.evalStatus({ healthPolicy, customStatus }, { parameter, context });
    return {
      healthy: result.isHealth ?? true,
      ...(result.message ? { message: result.message } : {}),
    };
  } catch (error) {
    return { healthy: false, message: `health check failed: ${errorMessage(error)}` };
  }
}

function liveOutputs(objects: Record<string, JsonObject>, namespace: string, live: LiveLookup): JsonObject {
  const found: JsonObject = {};
  for (const [name, obj] of Object.entries(objects)) {
    const ref = refOf(obj);
    const object = live({ ...ref, namespace: ref.namespace || namespace });
    if (object) found[name] = object;
  }
  return found;
}

export async function componentHealth(
  engine: StatusEvaluator,
  component: RenderedComponent,
  namespace: string,
  live: LiveLookup,
): Promise<ServiceStatus> {
  const liveWorkload = live(refOf(component.workload));
  const liveAuxiliary = liveOutputs(component.auxiliary, namespace, live);
  const traits: TraitStatus[] = [];
  let managingVerdict: Verdict | undefined;
  for (const trait of component.traits) {
    const verdict = await evaluate(engine, trait.definition.spec?.status, trait.properties, {
      ...component.context,
      output: liveWorkload ?? component.workload,
      outputs: { ...liveAuxiliary, ...liveOutputs(trait.outputs, namespace, live) },
    });
    if (trait === component.managedBy) managingVerdict = verdict;
    traits.push({
      type: trait.type,
      healthy: verdict.healthy,
      ...(verdict.message ? { message: verdict.message } : {}),
    });
  }

  let workload: Verdict;
  if (managingVerdict) {
    // The trait owns the workload's lifecycle; its health is the component's.
    workload = { healthy: managingVerdict.healthy };
  } else if (!liveWorkload) {
    const ref = refOf(component.workload);
    workload = { healthy: false, message: `${ref.kind} ${ref.name} does not exist yet` };
  } else {
    workload = await evaluate(engine, component.definition.spec?.status, component.properties, {
      ...component.context,
      output: liveWorkload,
      outputs: liveAuxiliary,
    });
  }
  return {
    name: component.name,
    namespace,
    healthy: workload.healthy && traits.every((t) => t.healthy),
    ...(workload.message ? { message: workload.message } : {}),
    workloadDefinition: component.workloadDefinition,
    traits,
  };
}
