import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { MercuriusContext } from 'mercurius'
import type { EntityCache } from '../cache/entity-cache.js'
import type { Config } from '../config.js'
import type { Database, Role } from '../database/schema.js'
import type { Loaders } from '../modules/index.js'
import type { Switchboard } from '../modules/operations/switchboard.js'
import { unauthenticated } from './errors.js'

/** Who is calling: taken from a verified access token. */
export interface Viewer {
  userId: string
  organizationId: string
  role: Role
}

export interface GraphQLContext extends MercuriusContext {
  requestId: string
  /** The client's address (X-Forwarded-For when TRUST_PROXY is set). */
  ip: string
  log: FastifyBaseLogger
  config: Config
  /** Null when the request carries no valid access token (see `authProblem`). */
  viewer: Viewer | null
  /** Why the bearer token was refused, for the UNAUTHENTICATED message. */
  authProblem: string | null
  /** The primary in mutations; the read replica (if configured) in queries. */
  db: Kysely<Database>
  /** Where the loaders read (kept in step with `db`). */
  route: { db: Kysely<Database> }
  /** The shared entity cache: mutations invalidate what they change through it. */
  cache: EntityCache
  /** Feature flags and maintenance mode, in memory. */
  switches: Switchboard
  /** Per-request DataLoaders, scoped to the viewer's organization. */
  loaders: Loaders
  /** Fresh loaders: a subscription takes new ones for each event (a connection lives for hours). */
  newLoaders: () => Loaders
  /** The operation being executed (set before execution, for logs and metrics). */
  operation?: { name: string | undefined, type: string, started: number }
}

/** The viewer of a resolver that the authorization layer already let through. */
export function viewerOf (ctx: GraphQLContext): Viewer {
  if (ctx.viewer === null) throw unauthenticated(ctx.authProblem ?? undefined)
  return ctx.viewer
}
