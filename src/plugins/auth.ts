import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Viewer } from '../graphql/context.js'
import { AccessCheck } from '../modules/identity/access.js'
import { SingleSignOn, type SingleSignOnSettings } from '../modules/identity/oidc.js'
import { type AccessTokenIssuer, accessTokens, TokenProblem } from '../modules/identity/tokens.js'
import type { RequestLimiter, Verdict } from './rate-limit.js'
import { bindLog } from './request-context.js'

// Reads `Authorization: Bearer <token>` once per request and checks it against the user's
// current state. A bad token does not fail the request here: `login` must work whatever stale
// header a client still sends. Operations that need a viewer refuse with UNAUTHENTICATED and the
// reason recorded in `authProblem`; when the check itself could not run (the database is
// unreachable), they answer with that failure (`authError`: SERVICE_UNAVAILABLE), never as if
// the token were bad.

declare module 'fastify' {
  interface FastifyInstance {
    accessTokens: AccessTokenIssuer
    accessCheck: AccessCheck
  }
  interface FastifyRequest {
    viewer: Viewer | null
    authProblem: string | null
    authError: Error | null
  }
}

export interface AuthPluginOptions {
  secret: string
  accessTokenTtlSeconds: number
  /** Accept the bearer tokens of this identity provider too (OIDC_*). */
  singleSignOn?: SingleSignOnSettings
  /** Request rate limits, counted alongside the session check (src/plugins/rate-limit.ts). */
  limiter?: RequestLimiter
}

const BEARER = /^Bearer\s+(\S+)\s*$/i

export const authPlugin = fp(async (app: FastifyInstance, options: AuthPluginOptions) => {
  app.decorate('accessTokens', accessTokens(options.secret, options.accessTokenTtlSeconds))
  const singleSignOn = options.singleSignOn === undefined ? undefined : new SingleSignOn({ ...options.singleSignOn, db: () => app.db, log: app.log })
  app.decorate('accessCheck', new AccessCheck(app.accessTokens, app.entityCache, () => app.db, singleSignOn))
  app.decorateRequest('viewer', null)
  app.decorateRequest('authProblem', null)
  app.decorateRequest('authError', null)
  app.addHook('onRequest', async (request, reply) => {
    const limiter = options.limiter
    const counted = limiter?.counts(request) === true
    let verdict: Promise<Verdict | null> | undefined
    const header = request.headers.authorization
    const match = header === undefined || header === '' ? null : BEARER.exec(header)
    if (match === null && header !== undefined && header !== '') request.authProblem = 'Authorization header must be "Bearer <accessToken>"'
    if (match !== null) {
      try {
        const grant = await app.accessCheck.grantOf(match[1] as string)
        // Counted in the same synchronous step as the state lookup below: one Redis round trip.
        if (counted) verdict = limiter?.user(grant.userId)
        request.viewer = await app.accessCheck.current(grant)
        bindLog(request, { userId: request.viewer.userId, organizationId: request.viewer.organizationId }, reply)
      } catch (err) {
        if (err instanceof TokenProblem) request.authProblem = err.message
        else request.authError = err as Error
      }
    }
    if (!counted || limiter === undefined) return
    // Without a viewer the address's budget applies, whatever the token claimed.
    if (request.viewer === null) verdict = limiter.address(request)
    limiter.enforce(reply, await verdict ?? null)
  })
}, { name: 'auth', dependencies: ['database', 'cache'] })
