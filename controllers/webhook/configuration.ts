// The MutatingWebhookConfiguration that sends opted-in pod creations to our webhook (pure).
//
// Built so that the webhook can never hold up pods it has no business with, even when it is down:
// - failurePolicy Ignore: an unreachable or failing webhook lets the pod through unchanged (an
//   opted-in pod then lacks the gate, which only means the IHPA cannot cut it off);
// - objectSelector on the opt-in label: the API server does not even call us for other pods;
// - namespaceSelector excluding kube-system (or, for a controller watching one namespace, only
//   that namespace): cluster components never depend on us;
// - a short timeout, sideEffects None, CREATE only.

import type { KubeObject } from '../kit/objects.js';
import { INJECT_LABEL, WEBHOOK_PATH } from './readiness-gate.js';

export const CONFIGURATION_NAME = 'rollscale-pod-readiness-gate';
export const WEBHOOK_NAME = 'pod-readiness-gate.rollscale.kapacitystack.io';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'rollscale';

export type WebhookEndpoint =
  { url: string } | { service: { namespace: string; name: string; port: number; path: string } };

export interface MutatingWebhookConfiguration extends KubeObject {
  webhooks: Array<Record<string, unknown>>;
}

/** The configuration's name: one per controller, and one per watched namespace. */
export function configurationName(watchNamespace: string | undefined): string {
  return watchNamespace ? `${CONFIGURATION_NAME}-${watchNamespace}` : CONFIGURATION_NAME;
}

/** `https://<host>:<port>/mutate-pod-readiness-gate` (IPv6 hosts bracketed). */
export function webhookUrl(host: string, port: number): string {
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `https://${bracketed}:${port}${WEBHOOK_PATH}`;
}

export interface ConfigurationOptions {
  endpoint: WebhookEndpoint;
  /** PEM of the CA certificate(s) the API server trusts for our serving certificate. */
  caBundlePem: string;
  /** When the controller watches one namespace, only pods there are sent. */
  watchNamespace?: string;
}

export function webhookConfiguration(options: ConfigurationOptions): MutatingWebhookConfiguration {
  const namespaceSelector = options.watchNamespace
    ? {
        matchExpressions: [
          { key: 'kubernetes.io/metadata.name', operator: 'In', values: [options.watchNamespace] },
        ],
      }
    : {
        matchExpressions: [
          { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] },
        ],
      };
  const clientConfig: Record<string, unknown> = {
    caBundle: Buffer.from(options.caBundlePem).toString('base64'),
    ...('url' in options.endpoint ? { url: options.endpoint.url } : { service: options.endpoint.service }),
  };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name: configurationName(options.watchNamespace),
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
    },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Ignore',
        matchPolicy: 'Equivalent',
        timeoutSeconds: 5,
        reinvocationPolicy: 'Never',
        clientConfig,
        rules: [
          {
            operations: ['CREATE'],
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['pods'],
            scope: 'Namespaced',
          },
        ],
        objectSelector: { matchLabels: { [INJECT_LABEL]: 'true' } },
        namespaceSelector,
      },
    ],
  };
}
