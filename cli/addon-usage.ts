// Which Applications still use an addon's definitions, and the refusal `addon disable` prints
// while any do (pure). An Application uses a ComponentDefinition through `components[].type`
// and a TraitDefinition through `components[].traits[].type`. Definitions are looked up in the
// Application's own namespace first, then in vela-system: an Application whose namespace defines
// a definition of the same name uses that one, not the addon's. The addon's own Application is
// never counted.

export interface DefinitionRef {
  kind: string;
  name: string;
  /** Where the definition lives (vela-system for an addon's). */
  namespace?: string;
}

export interface ApplicationLike {
  metadata?: { name?: string; namespace?: string };
  spec?: {
    components?: Array<{ name?: string; type?: string; traits?: Array<{ type?: string }> }>;
  };
}

export interface DefinitionUse {
  /** `namespace/name` of the Application. */
  application: string;
  component: string;
  definition: DefinitionRef;
}

export const COMPONENT_DEFINITION = 'ComponentDefinition';
export const TRAIT_DEFINITION = 'TraitDefinition';

/**
 * Every use of `definitions` by `applications`. `shadowing`: definitions living in other
 * namespaces than vela-system (an Application in such a namespace resolves to its own).
 */
export function findDefinitionUses(
  applications: readonly ApplicationLike[],
  definitions: readonly DefinitionRef[],
  options: { exclude?: { namespace: string; name: string }; shadowing?: readonly DefinitionRef[] } = {},
): DefinitionUse[] {
  const byKind = (kind: string) => new Set(definitions.filter((d) => d.kind === kind).map((d) => d.name));
  const components = byKind(COMPONENT_DEFINITION);
  const traits = byKind(TRAIT_DEFINITION);
  const shadowed = (namespace: string, kind: string, name: string) =>
    (options.shadowing ?? []).some((d) => d.namespace === namespace && d.kind === kind && d.name === name);

  const uses: DefinitionUse[] = [];
  for (const app of applications) {
    const namespace = app.metadata?.namespace ?? '';
    const name = app.metadata?.name ?? '';
    if (options.exclude && options.exclude.namespace === namespace && options.exclude.name === name) continue;
    for (const component of app.spec?.components ?? []) {
      const where = { application: `${namespace}/${name}`, component: component.name ?? '' };
      const type = component.type;
      if (type && components.has(type) && !shadowed(namespace, COMPONENT_DEFINITION, type)) {
        uses.push({ ...where, definition: { kind: COMPONENT_DEFINITION, name: type } });
      }
      for (const trait of component.traits ?? []) {
        if (trait.type && traits.has(trait.type) && !shadowed(namespace, TRAIT_DEFINITION, trait.type)) {
          uses.push({ ...where, definition: { kind: TRAIT_DEFINITION, name: trait.type } });
        }
      }
    }
  }
  return uses.sort(
    (a, b) => a.application.localeCompare(b.application) || a.component.localeCompare(b.component),
  );
}

/** The Applications (namespace/name) among `uses`, once each, sorted. */
export function usingApplications(uses: readonly DefinitionUse[]): string[] {
  return [...new Set(uses.map((u) => u.application))].sort();
}

/**
 * The message refusing `addon disable <addon>`, or undefined when nothing uses the definitions
 * or `force` is set.
 */
export function disableRefusal(
  addon: string,
  uses: readonly DefinitionUse[],
  force: boolean,
): string | undefined {
  if (force || uses.length === 0) return undefined;
  const apps = usingApplications(uses);
  const lines = apps.map((app) => {
    const what = uses
      .filter((u) => u.application === app)
      .map(
        (u) =>
          `${u.component} uses ${u.definition.kind === TRAIT_DEFINITION ? 'trait' : 'component type'} ${u.definition.name}`,
      );
    return `  ${app}: ${[...new Set(what)].join(', ')}`;
  });
  return (
    `addon ${addon} is still in use: ${apps.length} Application${apps.length === 1 ? '' : 's'} use${apps.length === 1 ? 's' : ''} its definitions:\n` +
    `${lines.join('\n')}\n` +
    `Delete ${apps.length === 1 ? 'it' : 'them'} (or change them to other types), or pass --force to disable anyway ` +
    `(their components then fail to render).`
  );
}

// ---------------------------------------------------------------------------------------------
// Enabling over definitions that already exist

/** A live definition's metadata, as far as ownership goes. */
export interface LiveDefinition {
  kind?: string;
  metadata?: {
    name?: string;
    ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>;
  };
}

export interface DefinitionConflict {
  kind: string;
  name: string;
  /** Whose it is: `addon <name>`, `Application <name>`, or undefined for no owner at all. */
  owner?: string;
}

/**
 * Which of the definitions an addon is about to apply already exist and are not the addon's own
 * (KubeVela's rule: a definition belongs to an addon when its controller owner is the addon's
 * Application `application`). Pure; `live` holds the existing objects of the addon's definitions.
 */
export function definitionConflicts(
  live: readonly LiveDefinition[],
  application: string,
): DefinitionConflict[] {
  const conflicts: DefinitionConflict[] = [];
  for (const definition of live) {
    const refs = definition.metadata?.ownerReferences ?? [];
    const controller = refs.find((r) => r.controller) ?? refs[0];
    if (controller?.kind === 'Application' && controller.name === application) continue;
    const owner =
      controller === undefined
        ? undefined
        : controller.kind === 'Application' && controller.name.startsWith('addon-')
          ? `addon ${controller.name.slice('addon-'.length)}`
          : `${controller.kind} ${controller.name}`;
    conflicts.push({
      kind: definition.kind ?? '',
      name: definition.metadata?.name ?? '',
      ...(owner ? { owner } : {}),
    });
  }
  return conflicts.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

/** One line per conflict: `ComponentDefinition webservice (not from any addon)`. */
export function describeConflict(conflict: DefinitionConflict): string {
  return `${conflict.kind} ${conflict.name} (${conflict.owner ? `belongs to ${conflict.owner}` : 'not from any addon'})`;
}

/** The refusal `addon enable` prints when definitions of the addon's names exist already. */
export function conflictRefusal(
  addon: string,
  namespace: string,
  conflicts: readonly DefinitionConflict[],
): string {
  return (
    `addon ${addon} brings definitions that already exist in ${namespace} and are not the addon's:\n` +
    conflicts.map((c) => `  ${describeConflict(c)}\n`).join('') +
    `Enabling would take them over, and disabling the addon would then delete them. ` +
    `Pass --override-definitions to replace them with the addon's anyway.`
  );
}
