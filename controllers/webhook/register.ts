// The `webhook` registration: the HTTPS admission server, its certificates, the
// MutatingWebhookConfiguration that points the API server at it, and the pod watcher that sets
// the online condition.
//
// Certificates are either the user's (`--webhook-cert-dir` with tls.crt, tls.key and optionally
// ca.crt, reloaded when the files change) or generated here: a self-signed CA and a serving
// certificate, renewed after two thirds of their life. On renewal the new CA is first added to
// the configuration's caBundle (next to the current one), and only once that is applied does the
// server present the new certificate, so the API server never meets a certificate it does not
// trust. Generated certificates live in memory: a restart generates new ones and republishes the
// bundle, which suits one replica; several replicas should share user-supplied certificates.

import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { isIP } from 'node:net';
import { join } from 'node:path';

import { ensureApplied } from '../kit/apply.js';
import type { Clock, TimerHandle } from '../kit/clock.js';
import { builtin } from '../kit/discovery.js';
import { podNamespace } from '../kit/cluster-access.js';
import { errorMessage, type Logger } from '../kit/log.js';
import type { Manager } from '../kit/manager.js';
import { generateServingCertificates, renewalTime, type ServingCertificates } from './certificates.js';
import {
  MANAGED_BY,
  MANAGED_BY_LABEL,
  configurationName,
  webhookConfiguration,
  webhookUrl,
  type MutatingWebhookConfiguration,
  type WebhookEndpoint,
} from './configuration.js';
import { registerPodOnlineController } from './pod-online.js';
import { WEBHOOK_PATH } from './readiness-gate.js';
import { WebhookServer, type ServingIdentity } from './server.js';

export const WEBHOOK_CONFIGURATION_CONTROLLER = 'webhook-configuration';

export interface WebhookSettings {
  /** Host the API server reaches us at (`127.0.0.1` locally); empty: the in-cluster Service. */
  host: string;
  /** Listening port; 0 runs no server (only the pod watcher). */
  port: number;
  /** Directory with user-supplied tls.crt / tls.key / ca.crt; empty: generate. */
  certDir: string;
  /** The Service fronting the server in a cluster (used when `host` is empty). */
  service: { namespace: string; name: string };
}

/** Settings from the environment main.ts fills from `--webhook-*` flags. */
export function webhookSettingsFromEnv(env: NodeJS.ProcessEnv): WebhookSettings {
  const port = Number(env['ROLLSCALE_WEBHOOK_PORT'] ?? '9443');
  const serviceText =
    env['ROLLSCALE_WEBHOOK_SERVICE'] || `${podNamespace('rollscale-system', env)}/rollscale-webhook-service`;
  const [namespace = '', name = ''] = serviceText.includes('/')
    ? serviceText.split('/', 2)
    : ['', serviceText];
  return {
    host: env['ROLLSCALE_WEBHOOK_HOST'] ?? '',
    port: Number.isInteger(port) && port >= 0 ? port : 9443,
    certDir: env['ROLLSCALE_WEBHOOK_CERT_DIR'] ?? '',
    service: { namespace: namespace || podNamespace('rollscale-system', env), name },
  };
}

export function webhookEndpoint(settings: WebhookSettings): WebhookEndpoint {
  if (settings.host) return { url: webhookUrl(settings.host, settings.port) };
  return { service: { ...settings.service, port: 443, path: WEBHOOK_PATH } };
}

/** The names the serving certificate must be valid for. */
export function servingNames(settings: WebhookSettings): { dnsNames: string[]; ipAddresses: string[] } {
  if (settings.host) {
    return isIP(settings.host)
      ? { dnsNames: [], ipAddresses: [settings.host] }
      : { dnsNames: [settings.host], ipAddresses: [] };
  }
  const { namespace, name } = settings.service;
  return {
    dnsNames: [`${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`],
    ipAddresses: [],
  };
}

/** setTimeout cannot wait longer than this (about 24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function timerAt(clock: Clock, at: Date, fn: () => void): TimerHandle {
  let handle: TimerHandle;
  const arm = (): void => {
    const remaining = at.getTime() - clock.now().getTime();
    if (remaining <= 0) {
      fn();
      return;
    }
    handle = clock.setTimeout(arm, Math.min(remaining, MAX_TIMER_MS));
  };
  handle = clock.setTimeout(arm, 0);
  return { cancel: () => handle.cancel() };
}

/**
 * The certificates the server presents and the CA bundle the API server must trust, with the
 * two-phase renewal described above. Pure state plus the injected clock: tests drive it directly.
 */
export class GeneratedIdentity {
  private active: ServingCertificates;
  private pending?: ServingCertificates;
  private previousCaPem?: string;

  constructor(
    private readonly clock: Clock,
    private readonly names: { dnsNames: string[]; ipAddresses: string[] },
    private readonly validityMs?: number,
  ) {
    this.active = this.generate();
  }

  private generate(): ServingCertificates {
    return generateServingCertificates({ now: this.clock.now(), validityMs: this.validityMs, ...this.names });
  }

  serving(): ServingIdentity {
    return { certPem: this.active.certPem, keyPem: this.active.keyPem };
  }

  /** What the configuration's caBundle must hold now: a pending CA first, then current and previous. */
  caBundle(): string {
    return [this.pending?.caCertPem, this.active.caCertPem, this.previousCaPem].filter(Boolean).join('');
  }

  renewAt(): Date {
    return renewalTime(this.active.notBefore, this.active.notAfter);
  }

  /** Phase one: new certificates exist; the bundle now includes their CA. */
  startRenewal(): void {
    if (!this.pending) this.pending = this.generate();
  }

  /**
   * Phase two, once a bundle holding the pending CA is published: the pending certificates become
   * the served ones. Returns them, or undefined when no renewal was pending.
   */
  completeRenewal(publishedBundle: string): ServingIdentity | undefined {
    if (!this.pending || !publishedBundle.includes(this.pending.caCertPem)) return undefined;
    this.previousCaPem = this.active.caCertPem;
    this.active = this.pending;
    this.pending = undefined;
    return this.serving();
  }
}

function readCertDir(dir: string): { identity: ServingIdentity; caBundle: string } {
  const certPem = readFileSync(join(dir, 'tls.crt'), 'utf8');
  const keyPem = readFileSync(join(dir, 'tls.key'), 'utf8');
  // Fails here, not in the server, when the pair does not match.
  createSecureContext({ cert: certPem, key: keyPem });
  let caBundle: string;
  try {
    caBundle = readFileSync(join(dir, 'ca.crt'), 'utf8');
  } catch {
    // Without ca.crt the certificate vouches for itself (self-signed, or a full chain).
    caBundle = certPem;
  }
  return { identity: { certPem, keyPem }, caBundle };
}

export interface WebhookHandle {
  /** The bound port (0 when no server runs). */
  port: number;
  stop(): Promise<void>;
}

/** Registers the webhook server, its configuration and the pod watcher. */
export async function registerWebhook(manager: Manager, settings: WebhookSettings): Promise<WebhookHandle> {
  registerPodOnlineController(manager);
  const logger: Logger = manager.logger.child({ component: 'webhook' });
  if (settings.port === 0) {
    logger.info('webhook server disabled (--webhook-port=0); only the pod condition watcher runs');
    return { port: 0, stop: async () => {} };
  }

  const clock = manager.clock;
  const name = configurationName(manager.watchNamespace);
  let caBundle: string;
  let identity: ServingIdentity;
  let generated: GeneratedIdentity | undefined;
  if (settings.certDir) {
    ({ identity, caBundle } = readCertDir(settings.certDir));
  } else {
    generated = new GeneratedIdentity(clock, servingNames(settings));
    identity = generated.serving();
    caBundle = generated.caBundle();
  }

  const server = new WebhookServer({
    host: settings.host && isIP(settings.host) ? settings.host : '0.0.0.0',
    port: settings.port,
    identity,
    logger,
  });
  const port = await server.start();
  logger.info('webhook server listening', { port, endpoint: webhookEndpoint(settings) });

  const configurations = manager.informer<MutatingWebhookConfiguration>(
    builtin.MutatingWebhookConfiguration,
    {
      labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}`,
    },
  );
  let renewalTimer: TimerHandle | undefined;
  const controller = manager.controller(WEBHOOK_CONFIGURATION_CONTROLLER, async (request) => {
    const bundle = generated ? generated.caBundle() : caBundle;
    const desired = webhookConfiguration({
      endpoint: webhookEndpoint(settings),
      caBundlePem: bundle,
      watchNamespace: manager.watchNamespace,
    });
    const { applied } = await ensureApplied(manager.client, desired, configurations.get(name));
    if (applied) request.logger.info('applied webhook configuration', { name });
    const renewed = generated?.completeRenewal(bundle);
    if (renewed) {
      server.setIdentity(renewed);
      request.logger.info('serving renewed webhook certificate');
      scheduleRenewal();
    }
  });
  controller.watches(configurations, (mwc) => (mwc.metadata?.name === name ? name : undefined));
  controller.enqueue(name);

  function scheduleRenewal(): void {
    if (!generated) return;
    renewalTimer?.cancel();
    const identityState = generated;
    renewalTimer = timerAt(clock, identityState.renewAt(), () => {
      identityState.startRenewal();
      controller.enqueue(name);
    });
  }
  scheduleRenewal();

  let watcher: FSWatcher | undefined;
  if (settings.certDir) {
    let reloadTimer: TimerHandle | undefined;
    const reload = (): void => {
      try {
        const next = readCertDir(settings.certDir);
        server.setIdentity(next.identity);
        caBundle = next.caBundle;
        controller.enqueue(name);
        logger.info('reloaded webhook certificate', { dir: settings.certDir });
      } catch (error) {
        logger.warn('keeping the current webhook certificate: reload failed', { error: errorMessage(error) });
      }
    };
    // Writers replace several files in a row (and Kubernetes swaps a symlinked directory): settle first.
    watcher = watch(settings.certDir, () => {
      reloadTimer?.cancel();
      reloadTimer = clock.setTimeout(reload, 500);
    });
  }

  return {
    port,
    stop: async () => {
      renewalTimer?.cancel();
      watcher?.close();
      await server.stop();
    },
  };
}

/** The registration main.ts runs: settings from the environment. */
export async function registerWebhookFromEnv(manager: Manager): Promise<void> {
  await registerWebhook(manager, webhookSettingsFromEnv(process.env));
}
