import {
  INJECT_LABEL,
  configurationName,
  servingNames,
  webhookConfiguration,
  webhookEndpoint,
  webhookSettingsFromEnv,
  webhookUrl,
} from '../../../controllers/webhook/index.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('webhookConfiguration', () => {
  it('can never block unrelated pods: Ignore, opt-in object selector, kube-system excluded', () => {
    const config = webhookConfiguration({
      endpoint: { url: webhookUrl('127.0.0.1', 9443) },
      caBundlePem: CA,
    });
    expect(config.metadata?.name).toBe('rollscale-pod-readiness-gate');
    const [webhook] = config.webhooks;
    expect(webhook).toMatchObject({
      name: 'pod-readiness-gate.rollscale.kapacitystack.io',
      failurePolicy: 'Ignore',
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      objectSelector: { matchLabels: { [INJECT_LABEL]: 'true' } },
      namespaceSelector: {
        matchExpressions: [
          { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] },
        ],
      },
      rules: [
        {
          operations: ['CREATE'],
          apiGroups: [''],
          apiVersions: ['v1'],
          resources: ['pods'],
          scope: 'Namespaced',
        },
      ],
      clientConfig: {
        url: 'https://127.0.0.1:9443/mutate-pod-readiness-gate',
        caBundle: Buffer.from(CA).toString('base64'),
      },
    });
    expect(webhook?.['timeoutSeconds']).toBeLessThanOrEqual(5);
  });

  it('is scoped to the watched namespace for a namespace-scoped controller', () => {
    const config = webhookConfiguration({
      endpoint: {
        service: {
          namespace: 'rollscale-system',
          name: 'hook',
          port: 443,
          path: '/mutate-pod-readiness-gate',
        },
      },
      caBundlePem: CA,
      watchNamespace: 'team-a',
    });
    expect(config.metadata?.name).toBe('rollscale-pod-readiness-gate-team-a');
    expect(configurationName('team-a')).toBe('rollscale-pod-readiness-gate-team-a');
    expect(config.webhooks[0]?.['namespaceSelector']).toEqual({
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['team-a'] }],
    });
    expect(config.webhooks[0]?.['clientConfig']).toMatchObject({
      service: { namespace: 'rollscale-system', name: 'hook', port: 443, path: '/mutate-pod-readiness-gate' },
    });
  });

  it('brackets IPv6 hosts in the URL', () => {
    expect(webhookUrl('::1', 8443)).toBe('https://[::1]:8443/mutate-pod-readiness-gate');
  });
});

describe('webhook settings', () => {
  it('reads the flags main.ts exports, with defaults', () => {
    expect(webhookSettingsFromEnv({ POD_NAMESPACE: 'ops' })).toEqual({
      host: '',
      port: 9443,
      certDir: '',
      service: { namespace: 'ops', name: 'rollscale-webhook-service' },
    });
    expect(
      webhookSettingsFromEnv({
        ROLLSCALE_WEBHOOK_HOST: '127.0.0.1',
        ROLLSCALE_WEBHOOK_PORT: '0',
        ROLLSCALE_WEBHOOK_CERT_DIR: '/certs',
        ROLLSCALE_WEBHOOK_SERVICE: 'x/y',
      }),
    ).toEqual({ host: '127.0.0.1', port: 0, certDir: '/certs', service: { namespace: 'x', name: 'y' } });
  });

  it('derives the endpoint and the certificate names from the host or the Service', () => {
    const local = { host: '127.0.0.1', port: 9443, certDir: '', service: { namespace: 'x', name: 'y' } };
    expect(webhookEndpoint(local)).toEqual({ url: 'https://127.0.0.1:9443/mutate-pod-readiness-gate' });
    expect(servingNames(local)).toEqual({ dnsNames: [], ipAddresses: ['127.0.0.1'] });
    expect(servingNames({ ...local, host: 'host.docker.internal' })).toEqual({
      dnsNames: ['host.docker.internal'],
      ipAddresses: [],
    });
    const inCluster = { ...local, host: '' };
    expect(webhookEndpoint(inCluster)).toEqual({
      service: { namespace: 'x', name: 'y', port: 443, path: '/mutate-pod-readiness-gate' },
    });
    expect(servingNames(inCluster)).toEqual({
      dnsNames: ['y.x.svc', 'y.x.svc.cluster.local'],
      ipAddresses: [],
    });
  });
});
