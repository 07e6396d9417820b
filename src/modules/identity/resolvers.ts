import type { UserRow } from '../../database/schema.js'
import type { AuthPayload, Resolvers } from '../../generated/graphql.js'
import type { GraphQLContext } from '../../graphql/context.js'
import { AppError, unauthenticated } from '../../graphql/errors.js'
import { decoyHash, verifyPassword } from './passwords.js'
import { endSession, type IssuedRefreshToken, rotateSession, startSession } from './sessions.js'
import { findUserByEmail, recordLogin } from './users.js'

// Longer inputs are refused before hashing: scrypt over megabytes is a cheap way to burn CPU.
const MAX_EMAIL = 254
const MAX_PASSWORD = 1024
const INVALID_CREDENTIALS = 'Invalid email or password'

type Payload = Omit<AuthPayload, 'user'> & { user: UserRow }

async function payload (ctx: GraphQLContext, user: UserRow, refresh: IssuedRefreshToken): Promise<Payload> {
  const viewer = { userId: user.id, organizationId: user.organization_id, role: user.role }
  const access = await ctx.app.accessTokens.issue(viewer)
  return {
    accessToken: access.token,
    expiresAt: access.expiresAt,
    refreshToken: refresh.token,
    refreshTokenExpiresAt: refresh.expiresAt,
    user
  }
}

async function authenticate (ctx: GraphQLContext, email: string, password: string): Promise<UserRow | null> {
  if (email.length > MAX_EMAIL || password.length > MAX_PASSWORD) return null
  const user = await findUserByEmail(ctx.db, email)
  if (user === undefined) {
    await verifyPassword(password, await decoyHash())
    return null
  }
  const valid = await verifyPassword(password, user.password_hash)
  return valid && user.is_active ? user : null
}

export const identityResolvers: Resolvers = {
  Query: {
    me: async (_, __, ctx) => ctx.viewer === null ? null : await ctx.loaders.users.byId.load(ctx.viewer.userId)
  },
  Mutation: {
    login: async (_, { email, password }, ctx) => {
      const throttle = ctx.app.loginThrottle
      const waitSeconds = await throttle.refusal(email, ctx.ip)
      if (waitSeconds !== null) {
        ctx.log.warn({ event: 'login_throttled', retryAfterSeconds: waitSeconds }, 'authentication refused: too many failed sign-ins')
        void ctx.reply.header('retry-after', String(waitSeconds))
        throw new AppError('RATE_LIMITED', `Too many failed sign-ins; try again in ${waitSeconds} s`, { retryAfterSeconds: waitSeconds }, 429)
      }
      const user = await authenticate(ctx, email, password)
      if (user === null) {
        await throttle.failed(email, ctx.ip)
        ctx.log.warn({ event: 'login_failed' }, 'authentication failed: invalid email or password')
        throw unauthenticated(INVALID_CREDENTIALS)
      }
      await throttle.succeeded(email, ctx.ip)
      await recordLogin(ctx.db, user.id)
      ctx.log.info({ event: 'login', userId: user.id, organizationId: user.organization_id }, 'login succeeded')
      return await payload(ctx, user, await startSession(ctx.db, user, ctx.config.REFRESH_TOKEN_TTL_DAYS))
    },
    refreshSession: async (_, { refreshToken }, ctx) => {
      const outcome = await rotateSession(ctx.db, refreshToken, ctx.config.REFRESH_TOKEN_TTL_DAYS)
      if (outcome.kind === 'reused') {
        ctx.log.warn({ event: 'refresh_token_reused' }, 'authentication failed: a used refresh token was presented again; its session is revoked')
        throw unauthenticated('Refresh token was already used; the session has been ended for safety: sign in again')
      }
      if (outcome.kind === 'invalid') {
        ctx.log.warn({ event: 'refresh_failed' }, `authentication failed: ${outcome.reason}`)
        throw unauthenticated(outcome.reason)
      }
      return await payload(ctx, outcome.user, outcome.next)
    },
    logout: async (_, { refreshToken }, ctx) => await endSession(ctx.db, refreshToken)
  },
  User: {
    organization: async (user, _, ctx) => {
      const org = await ctx.loaders.organizations.byId.load(user.organization_id)
      if (org === null) throw new Error(`Organization ${user.organization_id} of user ${user.id} is missing`)
      return org
    },
    lastLoginAt: (user) => user.last_login_at,
    createdAt: (user) => user.created_at
  }
}
