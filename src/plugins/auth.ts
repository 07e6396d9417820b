import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Viewer } from '../graphql/context.js'
import { type AccessTokenIssuer, accessTokens, TokenProblem } from '../modules/identity/tokens.js'
import { bindLog } from './request-context.js'

// Reads `Authorization: Bearer <token>` once per request. A bad token does not fail the
// request here: `login` must work whatever stale header a client still sends. Operations that
// need a viewer refuse with UNAUTHENTICATED and the reason recorded in `authProblem`.

declare module 'fastify' {
  interface FastifyInstance {
    accessTokens: AccessTokenIssuer
  }
  interface FastifyRequest {
    viewer: Viewer | null
    authProblem: string | null
  }
}

export interface AuthPluginOptions {
  secret: string
  accessTokenTtlSeconds: number
}

const BEARER = /^Bearer\s+(\S+)\s*$/i

export const authPlugin = fp(async (app: FastifyInstance, options: AuthPluginOptions) => {
  app.decorate('accessTokens', accessTokens(options.secret, options.accessTokenTtlSeconds))
  app.decorateRequest('viewer', null)
  app.decorateRequest('authProblem', null)
  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization
    if (header === undefined || header === '') return
    const match = BEARER.exec(header)
    if (match === null) {
      request.authProblem = 'Authorization header must be "Bearer <accessToken>"'
      return
    }
    try {
      request.viewer = await app.accessTokens.verify(match[1] as string)
      bindLog(request, { userId: request.viewer.userId, organizationId: request.viewer.organizationId }, reply)
    } catch (err) {
      if (!(err instanceof TokenProblem)) throw err
      request.authProblem = err.message
    }
  })
}, { name: 'auth' })
