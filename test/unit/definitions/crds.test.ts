// The CustomResourceDefinitions under definitions/crds, read as the API server would read
// them: names and printer columns users rely on, the structural-schema rules the server
// enforces, and the validation the seeds' YAML must pass while bad objects fail.
//
// No API server runs in unit tests, so this file carries a small validator of its own
// (types, required, enum, pattern, bounds, list maps, unknown fields, defaults) and a
// TypeScript mirror of every CEL rule, keyed by the rule's exact text: a rule that is added
// or edited without updating its mirror fails the "every rule has a mirror" test.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: string;
}

interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  anyOf?: Schema[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: ValidationRule[];
}

interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
}

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  subresources?: { status?: object };
  additionalPrinterColumns?: PrinterColumn[];
  schema: { openAPIV3Schema: Schema };
}

interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames?: string[];
      categories?: string[];
    };
    versions: CrdVersion[];
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const repoPath = (relative: string): string =>
  fileURLToPath(new URL(`../../../${relative}`, import.meta.url));
const CRD_DIR = repoPath('definitions/crds');
const SEED_DIR = repoPath('test/fixtures/seeds');

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
// CEL `has(x.f)`: the field is present in the object.
const has = (v: unknown, key: string): boolean => isObject(v) && v[key] !== undefined;
const field = (v: unknown, key: string): Json | undefined => (isObject(v) ? v[key] : undefined);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v : []);

function loadCrds(): Map<string, Crd> {
  const crds = new Map<string, Crd>();
  for (const file of readdirSync(CRD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const docs = parseAllDocuments(readFileSync(`${CRD_DIR}/${file}`, 'utf8'));
    if (!Array.isArray(docs) || docs.length !== 1 || docs[0] === undefined)
      throw new Error(`${file}: expected exactly one YAML document`);
    if (docs[0].errors.length > 0)
      throw new Error(`${file}: ${docs[0].errors.map((e) => e.message).join('; ')}`);
    crds.set(file, docs[0].toJS() as Crd);
  }
  return crds;
}

function loadDocs(path: string): JsonObject[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  if (!Array.isArray(docs)) return [];
  return docs.map((d) => d.toJS() as Json).filter(isObject);
}

const crds = loadCrds();

function crdFor(apiVersion: string, kind: string): Crd {
  const [group, version] = apiVersion.split('/');
  for (const crd of crds.values()) {
    if (
      crd.spec.group === group &&
      crd.spec.names.kind === kind &&
      crd.spec.versions.some((v) => v.name === version)
    )
      return crd;
  }
  throw new Error(`no CRD for ${apiVersion} ${kind}`);
}

const rootSchema = (crd: Crd): Schema => {
  const version = crd.spec.versions[0];
  if (version === undefined) throw new Error(`${crd.metadata.name}: no versions`);
  return version.schema.openAPIV3Schema;
};

/** Schema at a dotted path; `[]` steps into array items, e.g. `spec.portraitProviders[].cron`. */
function schemaAt(root: Schema, path: string): Schema {
  let node: Schema | undefined = root;
  for (const step of path.split('.').filter((s) => s !== '')) {
    const name = step.endsWith('[]') ? step.slice(0, -2) : step;
    node = name === '' ? node : node?.properties?.[name];
    if (step.endsWith('[]')) node = node?.items;
    if (node === undefined) throw new Error(`no schema at ${path} (stopped at ${step})`);
  }
  return node;
}

/** Every schema node with its path and the array schemas enclosing it. */
function* walk(
  schema: Schema,
  path = '',
  arrays: Schema[] = [],
): Generator<{ path: string; node: Schema; arrays: Schema[] }> {
  yield { path, node: schema, arrays };
  for (const [name, child] of Object.entries(schema.properties ?? {}))
    yield* walk(child, path === '' ? name : `${path}.${name}`, arrays);
  if (schema.items !== undefined) yield* walk(schema.items, `${path}[]`, [...arrays, schema]);
  if (typeof schema.additionalProperties === 'object')
    yield* walk(schema.additionalProperties, `${path}{}`, arrays);
}

// ---------------------------------------------------------------------------------------
// CEL mirrors: the same predicate as each rule, on the same `self`.
// ---------------------------------------------------------------------------------------

const metricSourceSet = (self: Json): boolean => {
  const type = field(self, 'type');
  const source: Record<string, string> = {
    Resource: 'resource',
    ContainerResource: 'containerResource',
    Pods: 'pods',
    Object: 'object',
    External: 'external',
  };
  return typeof type === 'string' && source[type] !== undefined && has(self, source[type]);
};

const CEL_MIRRORS: Record<string, (self: Json) => boolean> = {
  // Rollout rolloutPlan
  '!has(self.batchPartition) || !has(self.rolloutBatches) || self.batchPartition < size(self.rolloutBatches)':
    (self) =>
      !has(self, 'batchPartition') ||
      !has(self, 'rolloutBatches') ||
      Number(field(self, 'batchPartition')) < list(field(self, 'rolloutBatches')).length,
  '!has(self.numBatches) || !has(self.rolloutBatches) || size(self.rolloutBatches) == self.numBatches': (
    self,
  ) =>
    !has(self, 'numBatches') ||
    !has(self, 'rolloutBatches') ||
    list(field(self, 'rolloutBatches')).length === field(self, 'numBatches'),
  // IHPA spec
  'self.maxReplicas >= self.minReplicas': (self) =>
    Number(field(self, 'maxReplicas')) >= Number(field(self, 'minReplicas')),
  'self.all(p, !has(p.dynamic) || self.exists_one(q, has(q.dynamic) && q.dynamic.portraitType == p.dynamic.portraitType))':
    (self) =>
      list(self).every(
        (p) =>
          !has(p, 'dynamic') ||
          list(self).filter(
            (q) =>
              has(q, 'dynamic') &&
              field(field(q, 'dynamic'), 'portraitType') === field(field(p, 'dynamic'), 'portraitType'),
          ).length === 1,
      ),
  "self.type != 'Static' || has(self.static)": (self) =>
    field(self, 'type') !== 'Static' || has(self, 'static'),
  "self.type != 'Cron' || (has(self.cron) && has(self.cron.crons) && size(self.cron.crons) > 0)": (self) =>
    field(self, 'type') !== 'Cron' ||
    (has(self, 'cron') &&
      has(field(self, 'cron'), 'crons') &&
      list(field(field(self, 'cron'), 'crons')).length > 0),
  "self.type != 'Dynamic' || has(self.dynamic)": (self) =>
    field(self, 'type') !== 'Dynamic' || has(self, 'dynamic'),
  '(has(self.static) ? 1 : 0) + (has(self.cron) ? 1 : 0) + (has(self.dynamic) ? 1 : 0) <= 1': (self) =>
    ['static', 'cron', 'dynamic'].filter((k) => has(self, k)).length <= 1,
  '!has(self.crons) || self.crons.all(c, self.crons.exists_one(d, d.name == c.name))': (self) => {
    const names = list(field(self, 'crons')).map((c) => field(c, 'name'));
    return !has(self, 'crons') || names.every((n) => names.filter((m) => m === n).length === 1);
  },
  "self.algorithm.type != 'KubeHPA' || (has(self.metrics) && size(self.metrics) > 0)": (self) =>
    field(field(self, 'algorithm'), 'type') !== 'KubeHPA' || list(field(self, 'metrics')).length > 0,
  "(self.type == 'Resource' && has(self.resource)) || (self.type == 'ContainerResource' && has(self.containerResource)) || (self.type == 'Pods' && has(self.pods)) || (self.type == 'Object' && has(self.object)) || (self.type == 'External' && has(self.external))":
    metricSourceSet,
  "self.type != 'ExternalJob' || has(self.externalJob)": (self) =>
    field(self, 'type') !== 'ExternalJob' || has(self, 'externalJob'),
  "self.type != 'CronJob' || has(self.cronJob)": (self) =>
    field(self, 'type') !== 'CronJob' || has(self, 'cronJob'),
  "!has(self.grayStrategy) || self.grayStrategy.grayState == 'Online'": (self) =>
    !has(self, 'grayStrategy') || field(field(self, 'grayStrategy'), 'grayState') === 'Online',
  "!has(self.grayStrategy) || self.grayStrategy.grayState in ['Cutoff', 'Standby']": (self) =>
    !has(self, 'grayStrategy') ||
    ['Cutoff', 'Standby'].includes(String(field(field(self, 'grayStrategy'), 'grayState'))),
  // HorizontalPortrait status
  "(self.type == 'Static' && has(self.static)) || (self.type == 'Cron' && has(self.cron)) || (self.type == 'TimeSeries' && has(self.timeSeries))":
    (self) =>
      (field(self, 'type') === 'Static' && has(self, 'static')) ||
      (field(self, 'type') === 'Cron' && has(self, 'cron')) ||
      (field(self, 'type') === 'TimeSeries' && has(self, 'timeSeries')),
};

// ---------------------------------------------------------------------------------------
// A small structural validator with the API server's semantics where it matters here.
// ---------------------------------------------------------------------------------------

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/** Fills in schema defaults top-down, descending into defaulted values as the server does. */
function applyDefaults(schema: Schema, value: Json | undefined): void {
  if (isObject(value)) {
    for (const [name, child] of Object.entries(schema.properties ?? {})) {
      if (value[name] === undefined && child.default !== undefined)
        value[name] = structuredClone(child.default) as Json;
      applyDefaults(child, value[name]);
    }
    if (typeof schema.additionalProperties === 'object') {
      for (const v of Object.values(value)) applyDefaults(schema.additionalProperties, v);
    }
  } else if (Array.isArray(value) && schema.items !== undefined) {
    for (const item of value) applyDefaults(schema.items, item);
  }
}

function validateNode(
  schema: Schema,
  value: Json,
  path: string,
  errors: string[],
  resourceRoot: boolean,
): void {
  const at = path === '' ? '<root>' : path;
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (typeof value === 'number' && Number.isInteger(value)) {
      if (schema.minimum !== undefined && value < schema.minimum)
        errors.push(`${at}: should be greater than or equal to ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum)
        errors.push(`${at}: should be less than or equal to ${schema.maximum}`);
    } else if (typeof value === 'string') {
      if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
        errors.push(`${at}: should match '${schema.pattern}'`);
    } else {
      errors.push(`${at}: must be an integer or a string`);
    }
  } else {
    switch (schema.type) {
      case 'object': {
        if (!isObject(value)) {
          errors.push(`${at}: must be an object`);
          return;
        }
        for (const name of schema.required ?? []) {
          if (value[name] === undefined)
            errors.push(`${path === '' ? '' : `${path}.`}${name}: Required value`);
        }
        // metadata at the resource root is ObjectMeta, validated by the server itself.
        const freeForm =
          schema['x-kubernetes-preserve-unknown-fields'] === true || (resourceRoot && path === 'metadata');
        for (const [name, child] of Object.entries(value)) {
          const childPath = path === '' ? name : `${path}.${name}`;
          const childSchema =
            schema.properties?.[name] ??
            (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
          if (childSchema !== undefined) validateNode(childSchema, child, childPath, errors, resourceRoot);
          else if (!freeForm) errors.push(`${childPath}: unknown field (the server would drop it)`);
        }
        break;
      }
      case 'array': {
        if (!Array.isArray(value)) {
          errors.push(`${at}: must be an array`);
          return;
        }
        if (schema.minItems !== undefined && value.length < schema.minItems)
          errors.push(`${at}: should have at least ${schema.minItems} items`);
        if (schema.maxItems !== undefined && value.length > schema.maxItems)
          errors.push(`${at}: should have at most ${schema.maxItems} items`);
        if (schema['x-kubernetes-list-type'] === 'map') {
          const keys = value.map((item) =>
            JSON.stringify((schema['x-kubernetes-list-map-keys'] ?? []).map((k) => field(item, k))),
          );
          keys.forEach((k, i) => {
            if (keys.indexOf(k) !== i) errors.push(`${at}[${i}]: Duplicate value ${k}`);
          });
        }
        value.forEach((item, i) => {
          if (schema.items !== undefined)
            validateNode(schema.items, item, `${path}[${i}]`, errors, resourceRoot);
        });
        break;
      }
      case 'string': {
        if (typeof value !== 'string') {
          errors.push(`${at}: must be a string`);
          return;
        }
        const length = [...value].length;
        if (schema.minLength !== undefined && length < schema.minLength)
          errors.push(`${at}: should be at least ${schema.minLength} chars long`);
        if (schema.maxLength !== undefined && length > schema.maxLength)
          errors.push(`${at}: may not be longer than ${schema.maxLength}`);
        if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
          errors.push(`${at}: should match '${schema.pattern}'`);
        if (schema.format === 'date-time' && !RFC3339.test(value))
          errors.push(`${at}: must be an RFC 3339 date-time`);
        break;
      }
      case 'integer':
      case 'number': {
        if (typeof value !== 'number' || (schema.type === 'integer' && !Number.isInteger(value))) {
          errors.push(`${at}: must be ${schema.type === 'integer' ? 'an integer' : 'a number'}`);
          return;
        }
        if (schema.format === 'int32' && (value < INT32.min || value > INT32.max))
          errors.push(`${at}: out of int32 range`);
        if (schema.minimum !== undefined && value < schema.minimum)
          errors.push(`${at}: should be greater than or equal to ${schema.minimum}`);
        if (schema.maximum !== undefined && value > schema.maximum)
          errors.push(`${at}: should be less than or equal to ${schema.maximum}`);
        break;
      }
      case 'boolean':
        if (typeof value !== 'boolean') errors.push(`${at}: must be a boolean`);
        break;
      default:
        errors.push(`${at}: schema has no type`);
    }
  }
  if (schema.enum !== undefined && !schema.enum.includes(value))
    errors.push(`${at}: Unsupported value ${JSON.stringify(value)}`);
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    const mirror = CEL_MIRRORS[rule.rule];
    if (mirror === undefined) errors.push(`${at}: no mirror for CEL rule ${rule.rule}`);
    else if (!mirror(value)) errors.push(`${at}: ${rule.message ?? rule.rule}`);
  }
}

/** Defaults then validates a whole object against its CRD; returns the error list. */
function validateObject(object: JsonObject): string[] {
  const crd = crdFor(String(object.apiVersion), String(object.kind));
  const schema = rootSchema(crd);
  const copy = structuredClone(object);
  applyDefaults(schema, copy);
  const errors: string[] = [];
  validateNode(schema, copy, '', errors, true);
  return errors;
}

function defaulted(object: JsonObject): JsonObject {
  const copy = structuredClone(object);
  applyDefaults(rootSchema(crdFor(String(object.apiVersion), String(object.kind))), copy);
  return copy;
}

// ---------------------------------------------------------------------------------------

const EXPECTED_FILES: Record<
  string,
  { group: string; kind: string; plural: string; version: string; shortNames: string[]; categories: string[] }
> = {
  'core.oam.dev_applications.yaml': {
    group: 'core.oam.dev',
    kind: 'Application',
    plural: 'applications',
    version: 'v1beta1',
    shortNames: ['app'],
    categories: ['oam'],
  },
  'core.oam.dev_componentdefinitions.yaml': {
    group: 'core.oam.dev',
    kind: 'ComponentDefinition',
    plural: 'componentdefinitions',
    version: 'v1beta1',
    shortNames: ['comp'],
    categories: ['oam'],
  },
  'core.oam.dev_traitdefinitions.yaml': {
    group: 'core.oam.dev',
    kind: 'TraitDefinition',
    plural: 'traitdefinitions',
    version: 'v1beta1',
    shortNames: ['trait'],
    categories: ['oam'],
  },
  'standard.oam.dev_rollouts.yaml': {
    group: 'standard.oam.dev',
    kind: 'Rollout',
    plural: 'rollouts',
    version: 'v1alpha1',
    shortNames: ['rollout'],
    categories: ['oam'],
  },
  'autoscaling.kapacitystack.io_intelligenthorizontalpodautoscalers.yaml': {
    group: 'autoscaling.kapacitystack.io',
    kind: 'IntelligentHorizontalPodAutoscaler',
    plural: 'intelligenthorizontalpodautoscalers',
    version: 'v1alpha1',
    shortNames: ['ihpa'],
    categories: ['kapacity'],
  },
  'autoscaling.kapacitystack.io_horizontalportraits.yaml': {
    group: 'autoscaling.kapacitystack.io',
    kind: 'HorizontalPortrait',
    plural: 'horizontalportraits',
    version: 'v1alpha1',
    shortNames: ['hp'],
    categories: ['kapacity'],
  },
  'autoscaling.kapacitystack.io_replicaprofiles.yaml': {
    group: 'autoscaling.kapacitystack.io',
    kind: 'ReplicaProfile',
    plural: 'replicaprofiles',
    version: 'v1alpha1',
    shortNames: ['rp'],
    categories: ['kapacity'],
  },
};

const crdByFile = (file: string): Crd => {
  const crd = crds.get(file);
  if (crd === undefined) throw new Error(`missing ${file}`);
  return crd;
};
const IHPA = 'autoscaling.kapacitystack.io_intelligenthorizontalpodautoscalers.yaml';
const ROLLOUT = 'standard.oam.dev_rollouts.yaml';
const HP = 'autoscaling.kapacitystack.io_horizontalportraits.yaml';
const RP = 'autoscaling.kapacitystack.io_replicaprofiles.yaml';
const APP = 'core.oam.dev_applications.yaml';
const COMPDEF = 'core.oam.dev_componentdefinitions.yaml';
const TRAITDEF = 'core.oam.dev_traitdefinitions.yaml';

describe('CRD files', () => {
  test('exactly the seven expected files, one apiextensions.k8s.io/v1 CRD each', () => {
    expect([...crds.keys()].sort()).toEqual(Object.keys(EXPECTED_FILES).sort());
    for (const crd of crds.values()) {
      expect({ name: crd.metadata.name, apiVersion: crd.apiVersion, kind: crd.kind }).toEqual({
        name: crd.metadata.name,
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
      });
    }
  });

  test.each(Object.entries(EXPECTED_FILES))(
    '%s: names, group, scope, version and status subresource',
    (file, want) => {
      const crd = crdByFile(file);
      expect(crd.metadata.name).toBe(`${want.plural}.${want.group}`);
      expect(crd.spec.group).toBe(want.group);
      expect(crd.spec.scope).toBe('Namespaced');
      expect(crd.spec.names.kind).toBe(want.kind);
      expect(crd.spec.names.listKind).toBe(`${want.kind}List`);
      expect(crd.spec.names.plural).toBe(want.plural);
      expect(crd.spec.names.singular).toBe(want.kind.toLowerCase());
      expect(crd.spec.names.shortNames).toEqual(expect.arrayContaining(want.shortNames));
      expect(crd.spec.names.categories).toEqual(want.categories);
      expect(crd.spec.versions).toHaveLength(1);
      const version = crd.spec.versions[0];
      expect(version?.name).toBe(want.version);
      expect(version?.served).toBe(true);
      expect(version?.storage).toBe(true);
      expect(version?.subresources?.status).toEqual({});
    },
  );

  const columns = (file: string) =>
    (crdByFile(file).spec.versions[0]?.additionalPrinterColumns ?? []).map((c) => [
      c.name,
      c.jsonPath,
      c.type,
    ]);

  test('Rollout prints exactly the six KubeVela columns, in order', () => {
    expect(columns(ROLLOUT)).toEqual([
      ['TARGET', '.status.rolloutTargetSize', 'integer'],
      ['UPGRADED', '.status.upgradedReplicas', 'integer'],
      ['READY', '.status.upgradedReadyReplicas', 'integer'],
      ['BATCH-STATE', '.status.batchRollingState', 'string'],
      ['ROLLING-STATE', '.status.rollingState', 'string'],
      ['AGE', '.metadata.creationTimestamp', 'date'],
    ]);
  });

  test('Application prints COMPONENT TYPE PHASE HEALTHY STATUS AGE, the phase from .status.status', () => {
    expect(columns(APP)).toEqual([
      ['COMPONENT', '.spec.components[*].name', 'string'],
      ['TYPE', '.spec.components[*].type', 'string'],
      ['PHASE', '.status.status', 'string'],
      ['HEALTHY', '.status.services[*].healthy', 'boolean'],
      ['STATUS', '.status.services[*].message', 'string'],
      ['AGE', '.metadata.creationTimestamp', 'date'],
    ]);
  });

  test('definitions print their workload kind / targets and the description annotation', () => {
    const description = ['DESCRIPTION', '.metadata.annotations.definition\\.oam\\.dev/description', 'string'];
    expect(columns(COMPDEF)).toEqual([
      ['WORKLOAD-KIND', '.spec.workload.definition.kind', 'string'],
      description,
    ]);
    expect(columns(TRAITDEF)).toEqual([['APPLIES-TO', '.spec.appliesToWorkloads', 'string'], description]);
  });

  test('IHPA prints MIN MAX PORTRAIT DESIRED ONLINE CUTOFF STANDBY AGE from fields its schema has', () => {
    expect(columns(IHPA)).toEqual([
      ['MIN', '.spec.minReplicas', 'integer'],
      ['MAX', '.spec.maxReplicas', 'integer'],
      ['PORTRAIT', '.status.currentPortraitValue.provider', 'string'],
      ['DESIRED', '.status.currentPortraitValue.replicas', 'integer'],
      ['ONLINE', '.status.currentReplicas.online', 'integer'],
      ['CUTOFF', '.status.currentReplicas.cutoff', 'integer'],
      ['STANDBY', '.status.currentReplicas.standby', 'integer'],
      ['AGE', '.metadata.creationTimestamp', 'date'],
    ]);
  });

  test('HorizontalPortrait and ReplicaProfile columns', () => {
    expect(columns(HP).map(([name]) => name)).toEqual(['TYPE', 'ALGORITHM', 'DATA', 'EXPIRE', 'AGE']);
    // kubectl renders future `date` values as <invalid>; the expiry is printed as text.
    expect(columns(HP).find(([name]) => name === 'EXPIRE')).toEqual([
      'EXPIRE',
      '.status.portraitData.expireTime',
      'string',
    ]);
    expect(columns(RP)).toEqual([
      ['ONLINE', '.spec.onlineReplicas', 'integer'],
      ['CUTOFF', '.spec.cutoffReplicas', 'integer'],
      ['STANDBY', '.spec.standbyReplicas', 'integer'],
      ['AGE', '.metadata.creationTimestamp', 'date'],
    ]);
  });

  test('every printer column points at a field the schema declares', () => {
    for (const [file, crd] of crds) {
      for (const column of crd.spec.versions[0]?.additionalPrinterColumns ?? []) {
        if (column.jsonPath.startsWith('.metadata.')) continue;
        const path = column.jsonPath.slice(1).replace(/\[\*\]/g, '[]');
        expect(() => schemaAt(rootSchema(crd), path)).not.toThrow();
        expect({ file, column: column.name }).toBeTruthy();
      }
    }
  });
});

describe('structural schemas', () => {
  test.each([...crds.keys()])(
    '%s: every node is typed, arrays have items, int-or-string has the one allowed shape',
    (file) => {
      const problems: string[] = [];
      for (const { path, node } of walk(rootSchema(crdByFile(file)))) {
        if (node['x-kubernetes-int-or-string'] === true) {
          if (node.type !== undefined) problems.push(`${path}: int-or-string must not set type`);
          if (JSON.stringify(node.anyOf) !== JSON.stringify([{ type: 'integer' }, { type: 'string' }]))
            problems.push(`${path}: anyOf must be [integer, string]`);
        } else if (node.type === undefined) {
          problems.push(`${path}: no type`);
        }
        if (node.type === 'array' && node.items === undefined) problems.push(`${path}: array without items`);
        if (node.properties !== undefined && node.additionalProperties !== undefined)
          problems.push(`${path}: properties and additionalProperties together`);
        if (node.default !== undefined) {
          const errors: string[] = [];
          validateNode(node, structuredClone(node.default) as Json, path, errors, false);
          if (errors.length > 0) problems.push(`${path}: default does not validate: ${errors.join('; ')}`);
        }
      }
      expect(problems).toEqual([]);
    },
  );

  // Free-form content only: component/trait parameters, workflow and policies, pod and job
  // templates, MetricSpec sources, and status parts KubeVela itself keeps untyped.
  const PRESERVE_UNKNOWN: Record<string, string[]> = {
    [APP]: [
      'spec.components[].properties',
      'spec.components[].traits[].properties',
      'spec.components[].inputs[]',
      'spec.components[].outputs[]',
      'spec.policies[]',
      'spec.policies[].properties',
      'spec.workflow',
      'status.services[].scopes[]',
      'status.components[]',
      'status.appliedResources[]',
      'status.workflow',
      'status.policy[]',
    ],
    [COMPDEF]: ['spec.schematic.kube', 'spec.schematic.helm', 'spec.schematic.terraform', 'spec.extension'],
    [TRAITDEF]: ['spec.schematic.kube', 'spec.schematic.helm', 'spec.schematic.terraform', 'spec.extension'],
    [ROLLOUT]: [],
    [IHPA]: [
      ...['resource', 'containerResource', 'pods', 'object', 'external'].flatMap((s) => [
        `spec.portraitProviders[].dynamic.metrics[].${s}`,
        `spec.stabilityCheckers[].metrics.metrics[].${s}`,
      ]),
      'spec.portraitProviders[].dynamic.algorithm.externalJob.job.cronJob.template.metadata',
      'spec.portraitProviders[].dynamic.algorithm.externalJob.job.cronJob.template.spec',
      'spec.portraitProviders[].dynamic.algorithm.config',
    ],
    [HP]: [
      ...['resource', 'containerResource', 'pods', 'object', 'external'].map((s) => `spec.metrics[].${s}`),
      'spec.algorithm.externalJob.job.cronJob.template.metadata',
      'spec.algorithm.externalJob.job.cronJob.template.spec',
      'spec.algorithm.config',
    ],
    [RP]: [],
  };

  test.each(Object.keys(PRESERVE_UNKNOWN))(
    '%s: x-kubernetes-preserve-unknown-fields only on free-form content',
    (file) => {
      const found = [...walk(rootSchema(crdByFile(file)))]
        .filter(({ node }) => node['x-kubernetes-preserve-unknown-fields'] === true)
        .map(({ path }) => path);
      expect(found.sort()).toEqual([...(PRESERVE_UNKNOWN[file] ?? [])].sort());
    },
  );

  test.each([...crds.keys()])('%s: conditions use the metav1.Condition schema, keyed by type', (file) => {
    const conditions = schemaAt(rootSchema(crdByFile(file)), 'status.conditions');
    expect(conditions['x-kubernetes-list-type']).toBe('map');
    expect(conditions['x-kubernetes-list-map-keys']).toEqual(['type']);
    const item = conditions.items;
    expect(item?.required?.slice().sort()).toEqual([
      'lastTransitionTime',
      'message',
      'reason',
      'status',
      'type',
    ]);
    expect(item?.properties?.status?.enum).toEqual(['True', 'False', 'Unknown']);
    expect(item?.properties?.lastTransitionTime?.format).toBe('date-time');
    expect(item?.properties?.observedGeneration?.format).toBe('int64');
    expect(item?.properties?.reason?.pattern).toBe('^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$');
  });

  test('required fields', () => {
    const required = (file: string, path: string) =>
      schemaAt(rootSchema(crdByFile(file)), path)
        .required?.slice()
        .sort();
    expect(required(APP, 'spec')).toEqual(['components']);
    expect(required(APP, 'spec.components[]')).toEqual(['name', 'type']);
    expect(required(APP, 'spec.components[].traits[]')).toEqual(['type']);
    expect(required(COMPDEF, 'spec')).toEqual(['workload']);
    expect(required(COMPDEF, 'spec.workload.definition')).toEqual(['apiVersion', 'kind']);
    expect(required(COMPDEF, 'spec.schematic.cue')).toEqual(['template']);
    expect(required(TRAITDEF, 'spec.schematic.cue')).toEqual(['template']);
    expect(required(ROLLOUT, 'spec')).toEqual(['componentName', 'rolloutPlan', 'targetRevisionName']);
    expect(required(ROLLOUT, 'spec.rolloutPlan.rolloutWebhooks[]')).toEqual(['name', 'type', 'url']);
    expect(required(IHPA, 'spec')).toEqual([
      'maxReplicas',
      'minReplicas',
      'portraitProviders',
      'scaleTargetRef',
    ]);
    expect(required(IHPA, 'spec.scaleTargetRef')).toEqual(['kind', 'name']);
    expect(required(IHPA, 'spec.portraitProviders[]')).toEqual(['priority', 'type']);
    expect(required(IHPA, 'spec.portraitProviders[].cron.crons[]')).toEqual([
      'end',
      'name',
      'replicas',
      'start',
    ]);
    expect(required(IHPA, 'spec.behavior.scaleDown.grayStrategy')).toEqual([
      'changeIntervalSeconds',
      'changePercent',
      'grayState',
    ]);
    expect(required(HP, 'spec')).toEqual(['algorithm', 'portraitType', 'scaleTargetRef']);
    expect(required(HP, 'status.portraitData.timeSeries.timeSeries[]')).toEqual(['replicas', 'timestamp']);
    expect(required(RP, 'spec')).toEqual(['scaleTargetRef']);
  });

  test('defaults', () => {
    const defaultAt = (file: string, path: string) => schemaAt(rootSchema(crdByFile(file)), path).default;
    expect(defaultAt(ROLLOUT, 'spec.rolloutPlan.rolloutStrategy')).toBe('IncreaseFirst');
    expect(defaultAt(ROLLOUT, 'spec.rolloutPlan.rolloutBatches[].maxUnavailable')).toBe(0);
    expect(defaultAt(IHPA, 'spec.scaleMode')).toBe('Auto');
    expect(defaultAt(IHPA, 'spec.portraitProviders[].cron.crons[].timeZone')).toBe('UTC');
    const kubeHPA = 'spec.portraitProviders[].dynamic.algorithm.kubeHPA';
    expect(
      ['syncPeriod', 'tolerance', 'cpuInitializationPeriod', 'initialReadinessDelay'].map((f) =>
        defaultAt(IHPA, `${kubeHPA}.${f}`),
      ),
    ).toEqual(['15s', '0.1', '5m', '30s']);
    expect(defaultAt(HP, 'spec.algorithm.kubeHPA.tolerance')).toBe('0.1');
    expect(defaultAt(RP, 'spec.allowedScalingDirection')).toBe('Both');
    expect(defaultAt(RP, 'spec.behavior')).toEqual({
      podSorter: { type: 'WorkloadDefault' },
      podTrafficController: { type: 'ReadinessGate' },
    });
  });

  test('enums and bounds', () => {
    const at = (file: string, path: string) => schemaAt(rootSchema(crdByFile(file)), path);
    expect(at(ROLLOUT, 'spec.rolloutPlan.rolloutStrategy').enum).toEqual(['IncreaseFirst', 'DecreaseFirst']);
    expect(at(ROLLOUT, 'spec.rolloutPlan.rolloutWebhooks[].type').enum).toEqual([
      'initialize-rollout',
      'pre-batch-rollout',
      'post-batch-rollout',
      'finalize-rollout',
    ]);
    expect(at(ROLLOUT, 'spec.rolloutPlan.rolloutBatches[].batchRolloutWebhooks[].type').enum).toEqual(
      at(ROLLOUT, 'spec.rolloutPlan.rolloutWebhooks[].type').enum,
    );
    for (const f of ['targetSize', 'numBatches', 'batchPartition']) {
      expect(at(ROLLOUT, `spec.rolloutPlan.${f}`).minimum).toBe(0);
      // The API server accepts 2^31 under `format: int32` (hostile corpus r12); only a maximum refuses it.
      expect(at(ROLLOUT, `spec.rolloutPlan.${f}`).maximum).toBe(2147483647);
    }
    expect(at(ROLLOUT, 'spec.rolloutPlan.rolloutBatches[].replicas')['x-kubernetes-int-or-string']).toBe(
      true,
    );
    // A fresh status reports rolloutTargetSize -1: the lower bound (int32's own) allows it.
    expect(at(ROLLOUT, 'status.rolloutTargetSize').minimum ?? -Infinity).toBeLessThanOrEqual(-1);
    expect(Object.keys(at(ROLLOUT, 'status').properties ?? {}).sort()).toEqual(
      [
        'conditions',
        'rolloutOriginalSize',
        'rolloutTargetSize',
        'targetGeneration',
        'lastAppliedPodTemplateIdentifier',
        'rollingState',
        'batchRollingState',
        'currentBatch',
        'upgradedReplicas',
        'upgradedReadyReplicas',
        'lastTargetRevision',
        'LastSourceRevision',
      ].sort(),
    );
    expect(at(IHPA, 'spec.portraitProviders[].type').enum).toEqual(['Static', 'Cron', 'Dynamic']);
    expect(at(IHPA, 'spec.portraitProviders[].dynamic.algorithm.type').enum).toEqual([
      'KubeHPA',
      'ExternalJob',
    ]);
    expect(at(IHPA, 'spec.scaleMode').enum).toEqual(['Auto', 'Preview']);
    expect(at(IHPA, 'spec.minReplicas').minimum).toBe(0);
    expect(at(IHPA, 'spec.maxReplicas').minimum).toBe(0);
    const gray = at(IHPA, 'spec.behavior.scaleDown.grayStrategy');
    expect(gray.properties?.grayState?.enum).toEqual(expect.arrayContaining(['Cutoff', 'Standby']));
    expect(gray.properties?.changeIntervalSeconds?.minimum).toBe(1);
    expect([gray.properties?.changePercent?.minimum, gray.properties?.changePercent?.maximum]).toEqual([
      1, 100,
    ]);
    expect(gray.properties?.observationSeconds?.minimum).toBe(0);
    expect(at(HP, 'status.portraitData.type').enum).toEqual(['Static', 'Cron', 'TimeSeries']);
    expect(at(HP, 'status.portraitData.timeSeries.timeSeries[].timestamp').format).toBe('int64');
    expect(at(RP, 'spec.allowedScalingDirection').enum).toEqual(['Both', 'Neither', 'Up', 'Down']);
  });
});

describe('CEL rules', () => {
  const rulesAt = (file: string, path: string) =>
    schemaAt(rootSchema(crdByFile(file)), path)['x-kubernetes-validations'] ?? [];

  test.each([
    [
      ROLLOUT,
      'spec.rolloutPlan',
      'self.batchPartition < size(self.rolloutBatches)',
      'rolloutPlan.batchPartition',
    ],
    [ROLLOUT, 'spec.rolloutPlan', 'size(self.rolloutBatches) == self.numBatches', 'rolloutPlan.numBatches'],
    [
      IHPA,
      'spec',
      'self.maxReplicas >= self.minReplicas',
      'maxReplicas must be greater than or equal to minReplicas',
    ],
    [IHPA, 'spec.portraitProviders[]', "self.type != 'Cron' || (has(self.cron)", 'cron.crons'],
    [IHPA, 'spec.portraitProviders[]', "self.type != 'Static' || has(self.static)", 'static'],
    [IHPA, 'spec.portraitProviders[]', "self.type != 'Dynamic' || has(self.dynamic)", 'dynamic'],
    [IHPA, 'spec.portraitProviders[]', '(has(self.static) ? 1 : 0)', 'static, cron or dynamic'],
    [
      IHPA,
      'spec.portraitProviders[].cron',
      'self.crons.exists_one(d, d.name == c.name)',
      'cron.crons[].name must be unique',
    ],
    [
      IHPA,
      'spec.portraitProviders',
      'q.dynamic.portraitType == p.dynamic.portraitType',
      'dynamic.portraitType',
    ],
    [
      IHPA,
      'spec.portraitProviders[].dynamic.algorithm',
      "self.type != 'ExternalJob' || has(self.externalJob)",
      'algorithm.externalJob',
    ],
    [
      IHPA,
      'spec.behavior.scaleDown',
      "in ['Cutoff', 'Standby']",
      'behavior.scaleDown.grayStrategy.grayState',
    ],
    [IHPA, 'spec.behavior.scaleUp', "grayState == 'Online'", 'behavior.scaleUp.grayStrategy.grayState'],
    [HP, 'spec.algorithm', "self.type != 'ExternalJob' || has(self.externalJob)", 'algorithm.externalJob'],
    [HP, 'status.portraitData', "self.type == 'TimeSeries' && has(self.timeSeries)", 'portraitData'],
  ])('%s at %s: rule containing %j, message naming %j', (file, path, ruleFragment, messageFragment) => {
    const match = rulesAt(file, path).filter((r) => r.rule.includes(ruleFragment));
    expect(match).toHaveLength(1);
    expect(match[0]?.message).toContain(messageFragment);
  });

  test('the IHPA min/max message is exactly the documented one, reported on maxReplicas', () => {
    const rule = rulesAt(IHPA, 'spec').find((r) => r.rule === 'self.maxReplicas >= self.minReplicas');
    expect(rule).toEqual({
      rule: 'self.maxReplicas >= self.minReplicas',
      message: 'maxReplicas must be greater than or equal to minReplicas',
      fieldPath: '.maxReplicas',
      reason: 'FieldValueInvalid',
    });
  });

  test('every CEL rule has a TypeScript mirror and a static message', () => {
    const rules = [...crds.values()].flatMap((crd) =>
      [...walk(rootSchema(crd))].flatMap(({ node }) => node['x-kubernetes-validations'] ?? []),
    );
    expect(rules.length).toBeGreaterThanOrEqual(17);
    expect(rules.filter((r) => CEL_MIRRORS[r.rule] === undefined).map((r) => r.rule)).toEqual([]);
    expect(rules.filter((r) => r.message === undefined || r.message === '').map((r) => r.rule)).toEqual([]);
  });

  // The API server refuses a CRD whose rules could exceed the CEL cost budget; rules that
  // iterate must sit inside bounded lists, over bounded lists, comparing bounded strings.
  test('rules that iterate only walk lists with maxItems, nested in lists with maxItems', () => {
    const unbounded: string[] = [];
    for (const [file, crd] of crds) {
      for (const { path, node, arrays } of walk(rootSchema(crd))) {
        for (const rule of node['x-kubernetes-validations'] ?? []) {
          if (arrays.some((a) => a.maxItems === undefined))
            unbounded.push(`${file} ${path}: enclosing list without maxItems`);
          if (!/\.(all|exists|exists_one|filter|map)\(/.test(rule.rule)) continue;
          const walked = node.type === 'array' ? node : node.properties?.crons;
          if (walked?.maxItems === undefined)
            unbounded.push(`${file} ${path}: iterated list without maxItems`);
        }
      }
    }
    expect(unbounded).toEqual([]);
    const cron = schemaAt(rootSchema(crdByFile(IHPA)), 'spec.portraitProviders[].cron.crons[].name');
    expect(cron.maxLength).toBeLessThanOrEqual(253);
    expect(
      schemaAt(rootSchema(crdByFile(IHPA)), 'spec.portraitProviders[].dynamic.portraitType').maxLength,
    ).toBeLessThanOrEqual(253);
  });
});

describe('the seeds validate', () => {
  const seedFiles = readdirSync(SEED_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

  test('the fixtures hold the seeds: 4 IHPAs, 1 HorizontalPortrait, 8 Applications', () => {
    const kinds = seedFiles.flatMap((f) => loadDocs(`${SEED_DIR}/${f}`)).map((d) => String(d.kind));
    expect(kinds.filter((k) => k === 'IntelligentHorizontalPodAutoscaler')).toHaveLength(4);
    expect(kinds.filter((k) => k === 'HorizontalPortrait')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'Application')).toHaveLength(8);
  });

  test.each(seedFiles)('%s: every document is accepted with no field dropped', (file) => {
    const docs = loadDocs(`${SEED_DIR}/${file}`);
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      const name = String(field(doc.metadata ?? null, 'name'));
      expect({ name, errors: validateObject(doc) }).toEqual({ name, errors: [] });
    }
  });

  test('defaults fill in what the seeds leave out', () => {
    const gray = defaulted(loadDocs(`${SEED_DIR}/ihpa-gray-strategy-sample.yaml`)[0] ?? {});
    expect(field(gray.spec ?? null, 'scaleMode')).toBe('Auto');
    const cron = field(list(field(gray.spec ?? null, 'portraitProviders'))[1] ?? null, 'cron');
    expect(field(list(field(cron ?? null, 'crons'))[0] ?? null, 'timeZone')).toBe('UTC');
  });

  test('a Rollout as the rollout trait renders it is accepted and gets the default strategy and maxUnavailable', () => {
    const rollout: JsonObject = {
      apiVersion: 'standard.oam.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name: 'express-server', namespace: 'default' },
      spec: {
        targetRevisionName: 'express-server-v2',
        componentName: 'express-server',
        rolloutPlan: {
          targetSize: 5,
          batchPartition: 0,
          rolloutBatches: [{ replicas: 2 }, { replicas: '60%' }],
        },
      },
      status: {
        rolloutTargetSize: -1,
        rollingState: 'locatingTargetApp',
        batchRollingState: 'batchInitializing',
        currentBatch: 0,
        upgradedReplicas: 0,
        upgradedReadyReplicas: 0,
        lastTargetRevision: 'express-server-v1',
        LastSourceRevision: 'express-server-v1',
      },
    };
    expect(validateObject(rollout)).toEqual([]);
    expect(field(defaulted(rollout).spec ?? null, 'rolloutPlan')).toEqual({
      rolloutStrategy: 'IncreaseFirst',
      targetSize: 5,
      batchPartition: 0,
      rolloutBatches: [
        { replicas: 2, maxUnavailable: 0 },
        { replicas: '60%', maxUnavailable: 0 },
      ],
    });
  });
});

describe('bad objects are refused', () => {
  const rollout = (rolloutPlan: JsonObject, status?: JsonObject): JsonObject => ({
    apiVersion: 'standard.oam.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'r' },
    spec: { targetRevisionName: 'a-v1', componentName: 'a', rolloutPlan },
    ...(status === undefined ? {} : { status }),
  });
  const ihpa = (spec: JsonObject): JsonObject => ({
    apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
    kind: 'IntelligentHorizontalPodAutoscaler',
    metadata: { name: 'i' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'nginx' },
      minReplicas: 1,
      maxReplicas: 10,
      portraitProviders: [{ type: 'Static', priority: 1, static: { replicas: 1 } }],
      ...spec,
    },
  });
  const cron = (name: string, start: string, end: string, replicas: number): JsonObject => ({
    name,
    start,
    end,
    replicas,
  });
  const gray = (direction: 'scaleUp' | 'scaleDown', grayStrategy: JsonObject): JsonObject => ({
    behavior: { [direction]: { grayStrategy } },
  });

  test('the valid baselines below are accepted', () => {
    expect(
      validateObject(rollout({ targetSize: 5, rolloutBatches: [{ replicas: 2 }, { replicas: 3 }] })),
    ).toEqual([]);
    expect(validateObject(ihpa({}))).toEqual([]);
  });

  test.each<[string, JsonObject, string]>([
    [
      'negative targetSize',
      rollout({ targetSize: -1 }),
      'spec.rolloutPlan.targetSize: should be greater than or equal to 0',
    ],
    [
      'negative numBatches',
      rollout({ numBatches: -1 }),
      'spec.rolloutPlan.numBatches: should be greater than or equal to 0',
    ],
    [
      'negative batchPartition',
      rollout({ batchPartition: -1 }),
      'spec.rolloutPlan.batchPartition: should be greater than or equal to 0',
    ],
    [
      'batchPartition past the last batch',
      rollout({ targetSize: 5, batchPartition: 2, rolloutBatches: [{ replicas: 2 }, { replicas: 3 }] }),
      'rolloutPlan.batchPartition must be less than the number of rolloutPlan.rolloutBatches',
    ],
    [
      'numBatches disagreeing with rolloutBatches',
      rollout({ numBatches: 3, rolloutBatches: [{ replicas: 2 }] }),
      'rolloutPlan.numBatches must equal',
    ],
    [
      'a batch that is neither a count nor a percentage',
      rollout({ rolloutBatches: [{ replicas: 'half' }] }),
      'spec.rolloutPlan.rolloutBatches[0].replicas: should match',
    ],
    [
      'a percentage over 100',
      rollout({ rolloutBatches: [{ replicas: '150%' }] }),
      'spec.rolloutPlan.rolloutBatches[0].replicas: should match',
    ],
    [
      'a negative batch',
      rollout({ rolloutBatches: [{ replicas: -2 }] }),
      'spec.rolloutPlan.rolloutBatches[0].replicas: should be greater than or equal to 0',
    ],
    [
      'an unknown strategy',
      rollout({ rolloutStrategy: 'Sideways' }),
      'spec.rolloutPlan.rolloutStrategy: Unsupported value',
    ],
    [
      'a misspelt webhook type',
      rollout({ rolloutWebhooks: [{ type: 'initilize-rollout', name: 'a', url: 'http://a' }] }),
      'rolloutWebhooks[0].type: Unsupported value',
    ],
    [
      'an unknown rolling state',
      rollout({}, { rollingState: 'rolling' }),
      'status.rollingState: Unsupported value',
    ],
    [
      'maxReplicas below minReplicas',
      ihpa({ minReplicas: 5, maxReplicas: 2 }),
      'spec: maxReplicas must be greater than or equal to minReplicas',
    ],
    [
      'negative minReplicas',
      ihpa({ minReplicas: -1 }),
      'spec.minReplicas: should be greater than or equal to 0',
    ],
    [
      'a Cron provider without cron',
      ihpa({ portraitProviders: [{ type: 'Cron', priority: 1 }] }),
      'a Cron portrait provider needs cron.crons with at least one entry',
    ],
    [
      'a Cron provider with no crons',
      ihpa({ portraitProviders: [{ type: 'Cron', priority: 1, cron: { crons: [] } }] }),
      'cron.crons: should have at least 1 items',
    ],
    [
      'duplicate cron names',
      ihpa({
        portraitProviders: [
          {
            type: 'Cron',
            priority: 1,
            cron: {
              crons: [cron('a', '0 * * * *', '10 * * * *', 1), cron('a', '10 * * * *', '20 * * * *', 2)],
            },
          },
        ],
      }),
      'cron.crons[].name must be unique within a portrait provider',
    ],
    [
      'a 4-field cron',
      ihpa({
        portraitProviders: [
          { type: 'Cron', priority: 1, cron: { crons: [cron('a', '0 * * *', '10 * * * *', 1)] } },
        ],
      }),
      'crons[0].start: should match',
    ],
    [
      'a Static provider without static',
      ihpa({ portraitProviders: [{ type: 'Static', priority: 1 }] }),
      'a Static portrait provider needs the static field',
    ],
    [
      'a Dynamic provider without dynamic',
      ihpa({ portraitProviders: [{ type: 'Dynamic', priority: 1 }] }),
      'a Dynamic portrait provider needs the dynamic field',
    ],
    [
      'a provider setting a member its type does not name',
      ihpa({
        portraitProviders: [
          {
            type: 'Static',
            priority: 1,
            static: { replicas: 1 },
            dynamic: { portraitType: 'Reactive', algorithm: { type: 'KubeHPA' } },
          },
        ],
      }),
      'a portrait provider sets only the field named by its type',
    ],
    [
      'two Dynamic providers of the same portrait type',
      ihpa({
        portraitProviders: [1, 2].map((priority) => ({
          type: 'Dynamic',
          priority,
          dynamic: {
            portraitType: 'Reactive',
            metrics: [{ type: 'Resource', resource: { name: 'cpu' } }],
            algorithm: { type: 'KubeHPA' },
          },
        })),
      }),
      'dynamic.portraitType must be unique',
    ],
    [
      'an ExternalJob algorithm without externalJob',
      ihpa({
        portraitProviders: [
          {
            type: 'Dynamic',
            priority: 1,
            dynamic: { portraitType: 'Predictive', algorithm: { type: 'ExternalJob' } },
          },
        ],
      }),
      'algorithm.externalJob is required when algorithm.type is ExternalJob',
    ],
    [
      'a KubeHPA algorithm without metrics',
      ihpa({
        portraitProviders: [
          {
            type: 'Dynamic',
            priority: 1,
            dynamic: { portraitType: 'Reactive', algorithm: { type: 'KubeHPA' } },
          },
        ],
      }),
      'dynamic.metrics needs at least one metric',
    ],
    [
      'a metric whose type names a missing source',
      ihpa({
        portraitProviders: [
          {
            type: 'Dynamic',
            priority: 1,
            dynamic: {
              portraitType: 'Reactive',
              metrics: [{ type: 'Resource', pods: {} }],
              algorithm: { type: 'KubeHPA' },
            },
          },
        ],
      }),
      'a metric sets the source named by its type',
    ],
    [
      'an unknown gray state',
      ihpa(gray('scaleDown', { grayState: 'Paused', changeIntervalSeconds: 30, changePercent: 50 })),
      'grayStrategy.grayState: Unsupported value',
    ],
    [
      'scale-down graying to Deleted',
      ihpa(gray('scaleDown', { grayState: 'Deleted', changeIntervalSeconds: 30, changePercent: 50 })),
      'must be Cutoff or Standby',
    ],
    [
      'scale-up graying to Cutoff',
      ihpa(gray('scaleUp', { grayState: 'Cutoff', changeIntervalSeconds: 30, changePercent: 50 })),
      'behavior.scaleUp.grayStrategy.grayState must be Online',
    ],
    [
      'changePercent 0',
      ihpa(gray('scaleDown', { grayState: 'Cutoff', changeIntervalSeconds: 30, changePercent: 0 })),
      'changePercent: should be greater than or equal to 1',
    ],
    [
      'changePercent 101',
      ihpa(gray('scaleDown', { grayState: 'Cutoff', changeIntervalSeconds: 30, changePercent: 101 })),
      'changePercent: should be less than or equal to 100',
    ],
    [
      'changeIntervalSeconds 0',
      ihpa(gray('scaleDown', { grayState: 'Cutoff', changeIntervalSeconds: 0, changePercent: 50 })),
      'changeIntervalSeconds: should be greater than or equal to 1',
    ],
    ['an unknown scale mode', ihpa({ scaleMode: 'Manual' }), 'spec.scaleMode: Unsupported value'],
    ['a misspelt field', ihpa({ minReplica: 1 }), 'spec.minReplica: unknown field'],
    [
      'a ReplicaProfile with a bad direction',
      {
        apiVersion: 'autoscaling.kapacitystack.io/v1alpha1',
        kind: 'ReplicaProfile',
        metadata: { name: 'p' },
        spec: { scaleTargetRef: { kind: 'StatefulSet', name: 'n' }, allowedScalingDirection: 'Sideways' },
      },
      'spec.allowedScalingDirection: Unsupported value',
    ],
    [
      'an Application component without a type',
      {
        apiVersion: 'core.oam.dev/v1beta1',
        kind: 'Application',
        metadata: { name: 'a' },
        spec: { components: [{ name: 'c' }] },
      },
      'spec.components[0].type: Required value',
    ],
    [
      'a condition without a reason',
      rollout(
        {},
        {
          conditions: [
            { type: 'Ready', status: 'True', message: '', lastTransitionTime: '2024-01-01T00:00:00Z' },
          ],
        },
      ),
      'status.conditions[0].reason: Required value',
    ],
  ])('%s', (_label, object, expected) => {
    const errors = validateObject(object);
    expect(errors).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
  });
});

// parse() is used for a whole-file sanity check that YAML anchors are not relied upon:
// `kubectl apply` handles them, but other tooling reading these files may not.
test('no CRD file uses YAML anchors or aliases', () => {
  for (const file of crds.keys()) {
    const text = readFileSync(`${CRD_DIR}/${file}`, 'utf8');
    expect({ file, anchors: /^[^#]*[:-]\s+[&*][A-Za-z]/m.test(text) }).toEqual({ file, anchors: false });
    expect(parse(text)).toBeTruthy();
  }
});
