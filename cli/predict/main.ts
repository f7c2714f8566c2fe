// The built-in forecasting job for predictive HorizontalPortraits (run by the portrait's
// CronJob; `tsx cli/predict/main.ts` directly). Flags follow Kapacity's algorithm job:
//
//   --re-history-len 24H                  history to learn from (24H, 7D, 10min, or 1h30m)
//   --re-time-delta-hours 8               UTC offset of the workload's time zone (local days)
//   --re-test-dataset-size-in-seconds N   the held-out tail the fit is checked on (default 86400)
//   --scaling-freq 10min                  result resolution: one replica count per window (max)
//   --scale-up-ahead-seconds N            move every increase this much earlier (pod start-up)
//   --tsf-model-path DIR                  accepted for compatibility; no model format is read
//   --forecast-horizon 1H                 how far ahead the result reaches
//   --max-test-error 0.3                  largest relative error accepted on the test set
//   --min-correlation 0.5                 smallest usage/traffic correlation accepted
//   --window-coverage 0.95                chance a window's replicas cover its peak (headroom)
//   --kubeconfig PATH, --dry-run
//
// Environment: METRICS_SERVER_ADDR (the metrics gRPC service), HP_NAMESPACE, HP_NAME.
// Exit codes: 0 result written, 1 no prediction (reason logged; the previous result stays),
// 2 bad flags or environment.

import { join } from 'node:path';


import { KubeClient } from '../../controllers/kit/client.js';
import { realClock } from '../../controllers/kit/clock.js';
import { FlagError, flagUsage, parseFlags, type FlagDefinition } from '../../controllers/kit/flags.js';
import { resolveClusterAccess } from '../../controllers/kit/cluster-access.js';
import { createLogger, errorMessage } from '../../controllers/kit/log.js';
import { MetricsClient } from '../../controllers/metrics/grpc/client.js';
import { DEFAULT_MAX_POINTS } from '../../controllers/metrics/grpc/request.js';
import { repoRoot as findRepoRoot } from '../../controllers/repo-root.js';
import { runPredictJob, type JobSettings } from './job.js';
import { parsePeriod } from './period.js';

const repoRoot = findRepoRoot();

const flagSpec = {
  're-history-len': { type: 'string', default: '24H', help: 'history to learn from' },
  're-time-delta-hours': { type: 'string', default: '0', help: 'UTC offset in hours of the local time zone' },
  're-test-dataset-size-in-seconds': {
    type: 'integer',
    default: 86400,
    min: 60,
    help: 'size of the held-out test set in seconds',
  },
  'scaling-freq': { type: 'string', default: '10min', help: 'one replica count per window of this length' },
  'scale-up-ahead-seconds': { type: 'integer', default: 0, min: 0, help: 'move increases this much earlier' },
  'tsf-model-path': { type: 'string', default: '', help: 'accepted for compatibility; ignored' },
  'tsf-freq': { type: 'string', default: '', help: 'accepted for compatibility; ignored' },
  'tsf-dataloader-num-workers': { type: 'string', default: '', help: 'accepted for compatibility; ignored' },
  'forecast-horizon': { type: 'string', default: '1H', help: 'how far ahead to predict' },
  'max-test-error': { type: 'string', default: '0.3', help: 'largest relative test-set error accepted' },
  'min-correlation': { type: 'string', default: '0.5', help: 'smallest usage/traffic correlation accepted' },
  'window-coverage': { type: 'string', default: '0.95', help: 'chance a window covers its peak need' },
  'query-step': { type: 'string', default: '60s', help: 'resolution of the history' },
  kubeconfig: {
    type: 'string',
    default: '',
    help: "kubeconfig file (default: $KUBECONFIG, else the local cluster's, else in-cluster)",
  },
  'dry-run': { type: 'boolean', default: false, help: 'log the result instead of writing it' },
  help: { type: 'boolean', default: false, help: 'print this help' },
} satisfies Record<string, FlagDefinition>;

function number(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new FlagError(`--${flag} expects a number in [${min}, ${max}], got ${JSON.stringify(text)}`);
  }
  return value;
}

function period(flag: string, text: string): number {
  try {
    const ms = parsePeriod(text);
    if (!(ms > 0)) throw new Error('must be positive');
    return ms;
  } catch (error) {
    throw new FlagError(`--${flag}: ${errorMessage(error)}`);
  }
}

async function main(): Promise<number> {
  const logger = createLogger({ defaultMeta: { component: 'predict' } });
  let settings: JobSettings;
  let flags;
  try {
    flags = parseFlags(process.argv.slice(2), flagSpec);
    if (flags.help) {
      console.log(`usage: tsx cli/predict/main.ts [flags]\n\nflags:\n${flagUsage(flagSpec)}`);
      return 0;
    }
    const env = (name: string): string => {
      const value = process.env[name];
      if (!value) throw new FlagError(`environment variable ${name} is required`);
      return value;
    };
    const stepMs = period('query-step', flags['query-step']);
    settings = {
      namespace: env('HP_NAMESPACE'),
      name: env('HP_NAME'),
      historyMs: period('re-history-len', flags['re-history-len']),
      stepMs,
      maxPointsPerQuery: DEFAULT_MAX_POINTS - 1000,
      dryRun: flags['dry-run'],
      plan: {
        testSizeMs: flags['re-test-dataset-size-in-seconds'] * 1000,
        scalingFreqMs: period('scaling-freq', flags['scaling-freq']),
        scaleUpAheadMs: flags['scale-up-ahead-seconds'] * 1000,
        horizonMs: period('forecast-horizon', flags['forecast-horizon']),
        timeDeltaHours: number('re-time-delta-hours', flags['re-time-delta-hours'], -14, 14),
        maxTestError: number('max-test-error', flags['max-test-error'], 0, 10),
        minCorrelation: number('min-correlation', flags['min-correlation'], -1, 1),
        windowCoverage: number('window-coverage', flags['window-coverage'], 0, 1),
      },
    };
    if (settings.plan.scalingFreqMs < stepMs) {
      throw new FlagError(`--scaling-freq must not be shorter than --query-step (${flags['query-step']})`);
    }
    env('METRICS_SERVER_ADDR');
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    logger.error('bad invocation', { error: error.message });
    console.error(`${error.message}\n\nflags:\n${flagUsage(flagSpec)}`);
    return 2;
  }
  for (const ignored of ['tsf-model-path', 'tsf-freq', 'tsf-dataloader-num-workers'] as const) {
    if (flags[ignored]) {
      logger.info(
        `--${ignored} ignored: this job forecasts with its built-in seasonal model and reads no model files`,
        {
          value: flags[ignored],
        },
      );
    }
  }

  // --kubeconfig wins over $KUBECONFIG; then the local cluster's, then the service account.
  const { access } = resolveClusterAccess(
    join(repoRoot, '.cluster', 'kubeconfig'),
    flags.kubeconfig ? { ...process.env, KUBECONFIG: flags.kubeconfig } : process.env,
  );
  const address = process.env['METRICS_SERVER_ADDR'] as string;
  const metrics = new MetricsClient(address);
  logger.info('predicting', {
    portrait: `${settings.namespace}/${settings.name}`,
    metricsServer: address,
    historyHours: settings.historyMs / 3_600_000,
  });
  try {
    return await runPredictJob(settings, {
      client: KubeClient.fromKubeConfig(access, { userAgent: 'rollscale-predict' }),
      metrics,
      clock: realClock,
      logger,
    });
  } finally {
    metrics.close();
  }
}

main().then(
  (code) => {
    // Let the logger's stream flush before exiting.
    setTimeout(() => process.exit(code), 50);
  },
  (error: unknown) => {
    console.error(`predict: ${errorMessage(error)}`);
    setTimeout(() => process.exit(1), 50);
  },
);
