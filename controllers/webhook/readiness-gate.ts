// The readiness-gate mutation (pure): on pod CREATE, a pod labelled
// `kapacitystack.io/inject-pod-readiness-gate: "true"` gets the readiness gate
// `kapacitystack.io/online`. The IHPA's gray scale-down turns that condition False on a pod it
// cuts off, so the pod stops being Ready and leaves its Services' endpoints while it keeps
// running. Every answer allows the pod: this webhook only ever adds, it never rejects.
//
// The condition itself cannot be defaulted here: the API server resets a new pod's status, so a
// status in the admission patch is lost. The pod watcher (pod-online.ts) sets it instead.

export const READINESS_GATE = 'kapacitystack.io/online';
export const INJECT_LABEL = 'kapacitystack.io/inject-pod-readiness-gate';
export const WEBHOOK_PATH = '/mutate-pod-readiness-gate';

export interface JsonPatchOperation {
  op: 'add' | 'replace' | 'remove' | 'test';
  path: string;
  value?: unknown;
}

interface PodLike {
  metadata?: { labels?: Record<string, string> };
  spec?: { readinessGates?: Array<{ conditionType?: string }>; containers?: unknown };
}

export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  subResource?: string;
  operation?: string;
  namespace?: string;
  name?: string;
  object?: unknown;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  /** Base64 of the JSON patch. */
  patch?: string;
}

export interface AdmissionReview {
  apiVersion: string;
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

export class AdmissionReviewError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdmissionReviewError';
  }
}

export function isOptedIn(pod: PodLike | undefined): boolean {
  return pod?.metadata?.labels?.[INJECT_LABEL] === 'true';
}

export function hasReadinessGate(pod: PodLike | undefined): boolean {
  return (pod?.spec?.readinessGates ?? []).some((g) => g.conditionType === READINESS_GATE);
}

/** The JSON patch adding the gate to an opted-in pod; empty when there is nothing to add. */
export function readinessGatePatch(pod: PodLike): JsonPatchOperation[] {
  if (!isOptedIn(pod) || hasReadinessGate(pod)) return [];
  const gate = { conditionType: READINESS_GATE };
  if (Array.isArray(pod.spec?.readinessGates)) {
    return [{ op: 'add', path: '/spec/readinessGates/-', value: gate }];
  }
  return [{ op: 'add', path: '/spec/readinessGates', value: [gate] }];
}

/**
 * The answer to an AdmissionReview for pods.
 * @throws AdmissionReviewError when the body is not an AdmissionReview with a request.
 */
export function reviewPod(body: unknown): AdmissionReview {
  const review = body as Partial<AdmissionReview> | null;
  if (!review || typeof review !== 'object' || review.kind !== 'AdmissionReview') {
    throw new AdmissionReviewError('the body is not an AdmissionReview');
  }
  const request = review.request;
  if (!request || typeof request.uid !== 'string')
    throw new AdmissionReviewError('the AdmissionReview has no request');
  const response: AdmissionResponse = { uid: request.uid, allowed: true };
  const isPodCreate =
    request.operation === 'CREATE' &&
    !request.subResource &&
    (request.kind?.group ?? '') === '' &&
    request.kind?.kind === 'Pod';
  const pod = request.object as PodLike | undefined;
  if (isPodCreate && pod && typeof pod === 'object') {
    const patch = readinessGatePatch(pod);
    if (patch.length > 0) {
      response.patchType = 'JSONPatch';
      response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
    }
  }
  return { apiVersion: review.apiVersion ?? 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}
