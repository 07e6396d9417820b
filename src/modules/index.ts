import type { Resolvers } from '../generated/graphql.js'
import type { LoaderScope } from '../graphql/batching.js'
import { alertsModule } from './alerts/module.js'
import { assignmentsModule } from './assignments/module.js'
import { auditModule } from './audit/module.js'
import { driversModule } from './drivers/module.js'
import { facilitiesModule } from './facilities/module.js'
import { fleetModule } from './fleet/module.js'
import { geofencesModule } from './geofences/module.js'
import type { PermissionMatrix } from './identity/permissions.js'
import { identityModule } from './identity/module.js'
import { maintenanceSchedulesModule } from './maintenance-schedules/module.js'
import type { ConstraintMeaning } from '../errors.js'
import { metersModule } from './meters/module.js'
import type { DomainModule, FeatureDefinition, ModuleJob } from './module.js'
import { operationsModule } from './operations/module.js'
import { organizationsModule } from './organizations/module.js'
import { telematicsModule } from './telematics/module.js'
import { vehiclesModule } from './vehicles/module.js'
import { vendorsModule } from './vendors/module.js'
import { workOrdersModule } from './work-orders/module.js'

// The domain modules, one line each (src/modules/<name>/module.ts declares everything about one),
// and what the rest of the service reads from them, assembled: resolvers, per-request loaders,
// the permission matrix, the runtime switches, the meanings of database constraints. A field,
// feature or constraint declared by two modules stops the service at start-up.

export const modules = [
  identityModule,
  auditModule,
  organizationsModule,
  vehiclesModule,
  driversModule,
  facilitiesModule,
  assignmentsModule,
  fleetModule,
  telematicsModule,
  geofencesModule,
  alertsModule,
  metersModule,
  operationsModule,
  vendorsModule,
  maintenanceSchedulesModule,
  workOrdersModule
] as const satisfies readonly DomainModule[]

/** Merges the modules' records, refusing a key two of them declare. */
export function mergeDeclared<T> (what: string, entries: ReadonlyArray<[module: string, record: Record<string, T> | undefined]>): Record<string, T> {
  const merged: Record<string, T> = {}
  const owner = new Map<string, string>()
  for (const [module, record] of entries) {
    for (const [key, value] of Object.entries(record ?? {})) {
      const other = owner.get(key)
      if (other !== undefined) throw new Error(`${what} ${key} is declared by both the ${other} and the ${module} module`)
      owner.set(key, module)
      merged[key] = value
    }
  }
  return merged
}

/** The permission matrix of the whole schema: every module's slice, type by type. */
export function permissionMatrix (declared: readonly DomainModule[]): PermissionMatrix {
  const types = [...new Set(declared.flatMap((m) => Object.keys(m.access)))]
  return Object.fromEntries(types.map((type) => [type, mergeDeclared(`${type}:`, declared.map((m) => [m.name, m.access[type]]))]))
}

export const permissions = permissionMatrix(modules)

/** Root fields where a DRIVER sees only their own rows (src/modules/identity/scope.ts). */
export const DRIVER_OWN_ROWS: ReadonlySet<string> = new Set(modules.flatMap((m): readonly string[] => 'driverOwnRows' in m ? m.driverOwnRows : []))

/** The features that can be switched off at runtime (FEATURE_DISABLED), by name. */
export const FEATURES: Record<string, FeatureDefinition> = mergeDeclared<FeatureDefinition>('feature', modules.map((m) => [m.name, 'features' in m ? m.features : undefined]))

export const constraintMeanings: Record<string, ConstraintMeaning> = mergeDeclared<ConstraintMeaning>('constraint', modules.map((m) => [m.name, 'constraints' in m ? m.constraints : undefined]))

export const moduleResolvers: Resolvers[] = modules.map((m) => m.resolvers)

/** The modules' background jobs (src/plugins/jobs.ts runs them). */
export const jobs: readonly ModuleJob[] = modules.flatMap((m): readonly ModuleJob[] => 'jobs' in m ? m.jobs : [])

type Module = typeof modules[number]
type LoadersOf<M> = M extends { loaders: infer L } ? { [K in keyof L]: L[K] extends (scope: LoaderScope) => infer R ? R : never } : Record<never, never>
type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never

/** Loaders of one request, under the names the modules give them (`ctx.loaders.vehicles`). */
export type Loaders = Intersection<LoadersOf<Module>>

const loaderFactories = Object.entries(mergeDeclared('loaders', modules.map((m): [string, Record<string, (scope: LoaderScope) => unknown> | undefined] => [m.name, 'loaders' in m ? m.loaders : undefined])))

/** Loaders of one request. Tenant-scoped ones ask for the organization when they first run. */
export function createLoaders (scope: LoaderScope): Loaders {
  const loaders: Record<string, unknown> = {}
  for (const [name, create] of loaderFactories) loaders[name] = create(scope)
  return loaders as Loaders
}
