import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { MercuriusContext } from 'mercurius'
import type { EntityCache } from '../cache/entity-cache.js'
import type { Config } from '../config.js'
import type { Database, Role } from '../database/schema.js'
import type { Loaders } from '../modules/index.js'
import type { Switchboard } from '../modules/operations/switchboard.js'
import { unauthenticated } from '../errors.js'

/** Who is calling: a verified access token, checked against the user's current state. */
export interface Viewer {
  userId: string
  organizationId: string
  /** The user's role now (not the one the token was issued with). */
  role: Role
  /** The session epoch of our access token; null when signed in through single sign-on (the identity provider's token). */
  sessionEpoch: number | null
  /** The driver record linked to the user: what a DRIVER may see is scoped to it. */
  driverId: string | null
  /** Signed in with a temporary password: only changePassword (and me, logout) until it is changed. */
  mustChangePassword: boolean
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
  /** Why the token could not be checked at all (the database unreachable, the pool exhausted): the error to answer with. */
  authError: Error | null
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
  /** The root field being resolved (set by the authorization layer; mutations run one at a time). */
  field?: string
  /** The operation being executed (set before execution, for logs and metrics). */
  operation?: { name: string | undefined, type: string, started: number }
}

/**
 * Why a request has no viewer, as the error to answer with: UNAUTHENTICATED, or the failure that
 * kept the token from being checked (the error formatter makes it SERVICE_UNAVAILABLE).
 */
export function noViewer (auth: Pick<GraphQLContext, 'authProblem' | 'authError'>): Error {
  return auth.authError ?? unauthenticated(auth.authProblem ?? undefined)
}

/** The viewer of a resolver that the authorization layer already let through. */
export function viewerOf (ctx: GraphQLContext): Viewer {
  if (ctx.viewer === null) throw noViewer(ctx)
  return ctx.viewer
}
