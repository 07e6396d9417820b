import { existsSync } from 'node:fs'
import { type GraphQLSchema, isObjectType } from 'graphql'
import { loadSchema } from '../../../src/graphql/schema.js'
import { modules } from '../../../src/modules/index.js'
import type { DomainModule } from '../../../src/modules/module.js'
import type { RootKind } from '../schema-walk.js'
import type { AuditPlan } from './audit.js'
import type { HostilePlan } from './hostile.js'
import type { FieldPlan, IsolationPlan, Picker } from './isolation.js'
import type { RolesPlan } from './roles.js'

export * from './audit.js'
export * from './hostile.js'
export * from './isolation.js'
export * from './roles.js'

// A module's entries in the cross-cutting suites (isolation, roles, audit, hostile input) live in
// its folder, src/modules/<name>/test-plan.ts, which exports `testPlan`. The suites read them for
// every module registered in src/modules/index.ts, so registering a module is still one line; they
// keep walking the schema and refuse a root field that no plan classifies. A plan entry for a field
// that is not in the schema, that another module declares, or that two modules plan, stops them.

export interface ModuleTestPlan {
  /** test/isolation.test.ts: how to attack its root fields with another organization's ids; its entities. */
  isolation?: IsolationPlan
  /** test/roles.test.ts: harmless arguments for its mutations; how to reach the fields it guards below the roots. */
  roles?: RolesPlan
  /** test/audit.test.ts: per mutation, a change and the record it must leave, or why it leaves none. */
  audit?: AuditPlan
  /** test/hostile-input.test.ts: what the barrage must fill in, fix, keep unique or undo for its root fields. */
  hostile?: HostilePlan
}

type Registered = Pick<DomainModule, 'name' | 'access'>

/** Every registered module's plans, merged per suite (in registration order). */
export interface TestPlans {
  /** The test-plan.ts where the entries of a field belong: that of the module whose access slice declares it. */
  fileFor: (type: string, field: string) => string
  isolation: {
    fields: Record<RootKind, Record<string, FieldPlan>>
    entities: Record<string, Picker>
    genericIds: Record<string, string>
    states: Array<NonNullable<IsolationPlan['state']>>
    identifiers: Array<NonNullable<IsolationPlan['identifiers']>>
    prepare: Array<NonNullable<IsolationPlan['prepare']>>
  }
  roles: Required<RolesPlan>
  audit: AuditPlan
  hostile: Required<Omit<HostilePlan, 'concurrent'>> & { concurrent: ReadonlySet<string> }
}

/** Imports the test-plan.ts of every registered module and merges them (throws, naming each problem). */
export async function loadTestPlans (registered: readonly Registered[] = modules): Promise<TestPlans> {
  const loaded: Array<[Registered, ModuleTestPlan]> = []
  for (const module of registered) {
    const path = `src/modules/${module.name}/test-plan.ts`
    const file = new URL(`../../../${path}`, import.meta.url)
    if (!existsSync(file)) {
      throw new Error(`the ${module.name} module is registered in src/modules/index.ts but has no ${path}: ` +
        'the cross-cutting suites (isolation, roles, audit, hostile input) read its entries from there (see the README, "Adding a module")')
    }
    const { testPlan } = await import(file.href) as { testPlan?: ModuleTestPlan }
    if (testPlan === undefined) throw new Error(`${path} exports no testPlan`)
    loaded.push([module, testPlan])
  }
  return mergeTestPlans(loaded, loadSchema().schema)
}

/** Merges the modules' plans, refusing an entry for a field the schema lacks, another module declares, or two modules plan. */
export function mergeTestPlans (loaded: ReadonlyArray<[Registered, ModuleTestPlan]>, schema: GraphQLSchema): TestPlans {
  const problems: string[] = []
  const fileFor = (type: string, field: string): string => {
    const owner = loaded.find(([m]) => m.access[type]?.[field] !== undefined)?.[0].name
    return owner === undefined ? `the test-plan.ts of the module that declares ${type}.${field} in its access slice` : `src/modules/${owner}/test-plan.ts`
  }
  /** A root field's entry: in the schema, and in the planning module's access slice. */
  const planned = (module: Registered, section: string, roots: readonly RootKind[], name: string): void => {
    const root = roots.find((r) => fieldsOf(schema, r)[name] !== undefined)
    const file = `src/modules/${module.name}/test-plan.ts`
    if (root === undefined) problems.push(`${file}: ${section} plans ${roots.join(' or ')}.${name}, which is not in the schema`)
    else if (module.access[root]?.[name] === undefined) problems.push(`${file}: ${section} plans ${root}.${name}, which another module declares: plan it in ${fileFor(root, name)}`)
  }
  /** Merges one record of every module, refusing a key two of them plan. */
  const merge = <T>(section: string, pick: (plan: ModuleTestPlan) => Record<string, T> | undefined, roots?: readonly RootKind[]): Record<string, T> => {
    const merged: Record<string, T> = {}
    const owner = new Map<string, string>()
    for (const [module, plan] of loaded) {
      for (const [key, value] of Object.entries(pick(plan) ?? {})) {
        if (roots !== undefined) planned(module, section, roots, key)
        const other = owner.get(key)
        if (other !== undefined) problems.push(`${section}: ${key} is planned by both the ${other} and the ${module.name} module`)
        owner.set(key, module.name)
        merged[key] = value
      }
    }
    return merged
  }
  const READ_WRITE = ['Query', 'Mutation'] as const
  const listed = <T>(pick: (plan: ModuleTestPlan) => T | undefined): T[] => loaded.map(([, plan]) => pick(plan)).filter((x): x is T => x !== undefined)

  const isolation: TestPlans['isolation'] = {
    fields: {
      Query: merge('isolation Query', (p) => p.isolation?.fields?.Query, ['Query']),
      Mutation: merge('isolation Mutation', (p) => p.isolation?.fields?.Mutation, ['Mutation']),
      Subscription: merge('isolation Subscription', (p) => p.isolation?.fields?.Subscription, ['Subscription'])
    },
    entities: merge('isolation entity', (p) => p.isolation?.entities),
    genericIds: merge('isolation generic id', (p) => p.isolation?.genericIds),
    states: listed((p) => p.isolation?.state),
    identifiers: listed((p) => p.isolation?.identifiers),
    prepare: listed((p) => p.isolation?.prepare)
  }
  for (const [name, entity] of Object.entries(isolation.genericIds)) {
    if (isolation.entities[entity] === undefined) problems.push(`isolation generic id ${name}: no module declares the entity ${entity}`)
  }
  const select = merge('roles select', (p) => p.roles?.select)
  for (const [module, plan] of loaded) {
    for (const key of Object.keys(plan.roles?.select ?? {})) {
      const [type = '', field = ''] = key.split('.')
      if (module.access[type]?.[field] === undefined) problems.push(`src/modules/${module.name}/test-plan.ts: roles select ${key} is not a field the ${module.name} module guards`)
    }
  }
  const reach = merge('roles reach', (p) => p.roles?.reach)
  for (const type of Object.keys(reach)) if (!isObjectType(schema.getType(type))) problems.push(`roles reach ${type}: no such type in the schema`)
  const concurrent = merge('hostile concurrent', (p) => Object.fromEntries((p.hostile?.concurrent ?? []).map((name) => [name, true])), READ_WRITE)
  const plans: TestPlans = {
    fileFor,
    isolation,
    roles: { harmless: merge('roles harmless', (p) => p.roles?.harmless, READ_WRITE), reach, select },
    audit: merge('audit', (p) => p.audit, ['Mutation']),
    hostile: {
      ids: merge('hostile id', (p) => p.hostile?.ids),
      values: merge('hostile value', (p) => p.hostile?.values),
      fixed: merge('hostile fixed', (p) => p.hostile?.fixed, READ_WRITE),
      refusedInData: merge('hostile refusedInData', (p) => p.hostile?.refusedInData, READ_WRITE),
      storedIn: merge('hostile storedIn', (p) => p.hostile?.storedIn, READ_WRITE),
      after: merge('hostile after', (p) => p.hostile?.after, READ_WRITE),
      self: merge('hostile self', (p) => p.hostile?.self, READ_WRITE),
      unique: merge('hostile unique', (p) => p.hostile?.unique),
      ownIds: merge('hostile ownIds', (p) => p.hostile?.ownIds, READ_WRITE),
      concurrent: new Set(Object.keys(concurrent))
    }
  }
  if (problems.length > 0) throw new Error(`test plans (src/modules/*/test-plan.ts):\n  ${problems.join('\n  ')}`)
  return plans
}

function fieldsOf (schema: GraphQLSchema, root: RootKind): Record<string, unknown> {
  const type = root === 'Query' ? schema.getQueryType() : root === 'Mutation' ? schema.getMutationType() : schema.getSubscriptionType()
  return type?.getFields() ?? {}
}
