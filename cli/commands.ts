// The `rollscale` commands: names, arguments, options and help texts (data only).

import type { CommandSpec } from './args.js';

const timeout = (what: string, dflt: string) => ({
  name: 'timeout',
  type: 'string' as const,
  value: 'duration',
  help: `how long to wait for ${what}, e.g. 90s, 5m`,
  default: dflt,
});

export const addonEnable: CommandSpec = {
  name: 'addon enable',
  summary: 'Enable an addon: its definitions, its Application addon-<name> in vela-system, its parameters',
  description:
    'Renders the addon directory as KubeVela does (template.yaml or template.cue, parameter.cue, resources/*.cue\n' +
    'and *.yaml, definitions/*.yaml), applies the Application addon-<name> in vela-system labelled\n' +
    'addons.oam.dev/name and addons.oam.dev/version, the definitions into vela-system owned by it, stores the\n' +
    'parameters in Secret addon-secret-<name>, then waits until the Application is running and its\n' +
    'Deployments are ready. Enabling again upgrades it (definitions the addon no longer has are deleted).\n' +
    '\n' +
    "A definition of the addon's names that exists in vela-system and is not the addon's (installed by\n" +
    'KubeVela, by rollscale install or by another addon) stops the enable, naming each one:\n' +
    '--override-definitions replaces them, and disabling the addon then deletes them.\n' +
    '\n' +
    'Without KubeVela (no ResourceTracker CRD) nothing renders addon-<name> before the addon runs, so\n' +
    "this command reconciles it itself (rollscale's Application controller, in process) until it is\n" +
    "running, and sets applicationController=true unless given: the addon's controller then renders\n" +
    'Applications. addon disable likewise finishes the deletion itself.',
  positionals: [
    {
      name: 'addon',
      required: true,
      help: 'the addon directory (e.g. addons/rollscale) or the name of one under addons/',
    },
    {
      name: 'key=value',
      required: false,
      variadic: true,
      help: 'parameters, as vela addon enable takes them (same as --set)',
    },
  ],
  options: [
    {
      name: 'set',
      type: 'list',
      value: 'key=value',
      help: 'a parameter; dots nest (image.tag=v2); true/false/numbers/JSON are typed',
    },
    {
      name: 'wait',
      type: 'boolean',
      default: true,
      help: 'wait until the Application is running (--no-wait: do not)',
    },
    {
      name: 'override-definitions',
      type: 'boolean',
      help: "replace existing definitions of the addon's names that are not the addon's",
    },
    timeout('the Application to be running', '5m'),
  ],
  examples: [
    'rollscale addon enable addons/rollscale --set replicas=1',
    'rollscale addon enable ./addons/rollscale --override-definitions',
    'rollscale addon enable rollscale image=ghcr.io/rollscale/rollscale:dev',
  ],
};

export const addonDisable: CommandSpec = {
  name: 'addon disable',
  summary: 'Disable an addon: delete addon-<name> and, with it, its definitions and Secret',
  description:
    "Refuses while Applications still use the addon's component types or traits, and lists them;\n" +
    '--force disables anyway.',
  positionals: [{ name: 'name', required: true, help: 'the addon name (as addon list shows it)' }],
  options: [
    { name: 'force', type: 'boolean', help: 'disable even while Applications use its definitions' },
    {
      name: 'wait',
      type: 'boolean',
      default: true,
      help: 'wait until the Application and what it owns are gone',
    },
    timeout('the deletion', '2m'),
  ],
  examples: ['rollscale addon disable rollscale', 'rollscale addon disable rollscale --force'],
};

export const addonList: CommandSpec = {
  name: 'addon list',
  summary: 'List the addons under addons/ and those enabled in the cluster',
  positionals: [],
  options: [],
};

export const status: CommandSpec = {
  name: 'status',
  summary: "Show an Application's components, rollout batches and autoscaling, live with --watch",
  description:
    "For each component: its health and message; for a rollout trait the Rollout's state and a progress bar\n" +
    'per batch; for an ihpa trait the portrait value, the pods online / cut off / on standby, the gray progress\n' +
    'and the next scheduled change. --watch redraws on every change and exits once the rollout has finished\n' +
    '(and no gray change is under way), or on Ctrl-C. rollout/<name> and ihpa/<name> show one object alone.',
  positionals: [
    { name: 'app', required: true, help: 'an Application name, or rollout/<name>, or ihpa/<name>' },
  ],
  options: [
    {
      name: 'namespace',
      short: 'n',
      type: 'string',
      value: 'ns',
      help: 'namespace of the Application',
      default: 'default',
    },
    {
      name: 'watch',
      short: 'w',
      type: 'boolean',
      help: 'follow changes until the rollout finishes (Ctrl-C stops)',
    },
  ],
  examples: [
    'rollscale status rollout-trait-test --watch',
    'rollscale status ihpa/gray-strategy-sample -n demo',
  ],
};

export const controller: CommandSpec = {
  name: 'controller',
  summary: 'Run the controllers (same flags as npm start; controller --help lists them)',
  positionals: [],
  options: [],
  passThrough: true,
  examples: [
    'rollscale controller --leader-elect=false',
    'rollscale controller --controllers=application,rollout --namespace=demo',
  ],
};

export const install: CommandSpec = {
  name: 'install',
  summary: 'Apply the CRDs and the component/trait definitions (as npm start -- --install does)',
  positionals: [],
  options: [],
};

export const predict: CommandSpec = {
  name: 'predict',
  summary: 'Run the forecasting job (predict --help lists its flags)',
  positionals: [],
  options: [],
  passThrough: true,
};

export const commands: readonly CommandSpec[] = [
  addonEnable,
  addonDisable,
  addonList,
  status,
  controller,
  install,
  predict,
];
