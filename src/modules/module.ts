import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { MQEmitter } from 'mqemitter'
import type { Config } from '../config.js'
import type { Database } from '../database/schema.js'
import type { ConstraintMeaning } from '../errors.js'
import type { Resolvers } from '../generated/graphql.js'
import type { LoaderScope } from '../graphql/batching.js'
import type { PermissionMatrix } from './identity/permissions.js'

// What a domain module declares about itself. Everything the rest of the service needs to know of
// a module is in its folder (src/modules/<name>/) and its manifest (module.ts), registered by one
// line in src/modules/index.ts: its resolvers, its per-request loaders, its slice of the permission
// matrix, the features that can be switched off, what its database constraints mean to a client,
// the jobs it runs in the background.
// Beside the manifest, the folder holds its table types (tables.ts, merged into `Database`), the
// parents its GraphQL types resolve from (mappers.ts, read by codegen.ts) and its entries in the
// cross-cutting test suites (test-plan.ts); its SDL is schema/<name>.graphql.


/** A feature that can be switched off at runtime, and the root fields it guards. */
export interface FeatureDefinition {
  description: string
  fields: readonly string[]
}

/** What a background job works with. */
export interface JobContext {
  db: Kysely<Database>
  events: MQEmitter
  config: Config
  log: FastifyBaseLogger
}

/**
 * Work a module does in the background on every replica (src/plugins/jobs.ts runs it once start-up
 * has finished, one run at a time). Replicas running it at once must be harmless.
 */
export interface ModuleJob {
  name: string
  /** Milliseconds between runs, from the configuration; 0 turns the job off. */
  intervalMs: (config: Config) => number
  run: (context: JobContext) => Promise<void>
}

export interface DomainModule {
  /** Its folder, src/modules/<name>/; its SDL is schema/<name>.graphql. */
  name: string
  resolvers: Resolvers
  /** Per-request loaders, under the names resolvers reach them by (`ctx.loaders.<name>`). */
  loaders?: Record<string, (scope: LoaderScope) => unknown>
  /** Who may use each root field it adds, and the fields below the roots it guards. */
  access: PermissionMatrix
  /** Root fields where a DRIVER sees only their own rows (src/modules/identity/scope.ts). */
  driverOwnRows?: readonly string[]
  /** Features that can be switched off at runtime (FEATURE_DISABLED). */
  features?: Record<string, FeatureDefinition>
  /** Constraint name → meaning, for CONFLICT and BAD_USER_INPUT answers naming the field. */
  constraints?: Record<string, ConstraintMeaning>
  jobs?: readonly ModuleJob[]
}

/** Declares a module; `const` keeps its loaders' types for `ctx.loaders`. */
export function defineModule<const M extends DomainModule> (module: M): M {
  return module
}
