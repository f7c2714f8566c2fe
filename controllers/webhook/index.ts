/** The pod readiness-gate admission webhook, its certificates and configuration. */
export { DEFAULT_VALIDITY_MS, generateServingCertificates, ipBytes, renewalTime } from './certificates.js';
export type { CertificateRequest, ServingCertificates } from './certificates.js';
export {
  CONFIGURATION_NAME,
  WEBHOOK_NAME,
  configurationName,
  webhookConfiguration,
  webhookUrl,
} from './configuration.js';
export type { ConfigurationOptions, MutatingWebhookConfiguration, WebhookEndpoint } from './configuration.js';
export {
  POD_ONLINE_CONTROLLER,
  needsOnlineCondition,
  onlineConditionPatch,
  registerPodOnlineController,
} from './pod-online.js';
export {
  AdmissionReviewError,
  INJECT_LABEL,
  READINESS_GATE,
  WEBHOOK_PATH,
  hasReadinessGate,
  isOptedIn,
  readinessGatePatch,
  reviewPod,
} from './readiness-gate.js';
export type { AdmissionReview, JsonPatchOperation } from './readiness-gate.js';
export {
  GeneratedIdentity,
  WEBHOOK_CONFIGURATION_CONTROLLER,
  registerWebhook,
  registerWebhookFromEnv,
  servingNames,
  webhookEndpoint,
  webhookSettingsFromEnv,
} from './register.js';
export type { WebhookHandle, WebhookSettings } from './register.js';
export { WebhookServer } from './server.js';
export type { ServingIdentity, WebhookServerOptions } from './server.js';
