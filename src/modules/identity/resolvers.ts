import type { Transaction } from 'kysely'
import { type AuditEvent, recordEvent } from '../../database/audit.js'
import { updateVersioned } from '../../database/optimistic.js'
import type { Database } from '../../database/schema.js'
import type { UserRow } from './tables.js'
import type { AuthPayload, Resolvers } from '../../generated/graphql.js'
import { required } from '../../graphql/batching.js'
import { type GraphQLContext, viewerOf } from '../../graphql/context.js'
import { AppError, badInput, conflict, notFound, unauthenticated } from '../../errors.js'
import { connectionResolvers } from '../../graphql/pagination.js'
import { distinct, id, text } from '../../graphql/validation.js'
import { write } from '../../graphql/writes.js'
import { findDriversByUserIds } from '../drivers/queries.js'
import { invalidateAccess } from './access.js'
import { decoyHash, hashPassword, verifyPassword } from './passwords.js'
import { endSession, type IssuedRefreshToken, rotateSession, startSession } from './sessions.js'
import {
  changeUser, findUserByEmail, insertUser, linkDriver, listUsers, lockActiveAdmins, lockUser, recordLogin, touchUser, userSort
} from './users.js'
import {
  newPassword, newUserRequest, PASSWORD_LENGTH, passwordLength, plausibleEmail, temporaryPassword, userPatchRequest
} from './validation.js'

const INVALID_CREDENTIALS = 'Invalid email or password'

type Payload = Omit<AuthPayload, 'user'> & { user: UserRow }

async function payload (ctx: GraphQLContext, user: UserRow, refresh: IssuedRefreshToken): Promise<Payload> {
  const access = await ctx.app.accessTokens.issue({ userId: user.id, organizationId: user.organization_id, role: user.role, sessionEpoch: user.session_epoch })
  return {
    accessToken: access.token,
    expiresAt: access.expiresAt,
    refreshToken: refresh.token,
    refreshTokenExpiresAt: refresh.expiresAt,
    user
  }
}

async function authenticate (ctx: GraphQLContext, email: string, password: string): Promise<UserRow | null> {
  // Refused before any query or hashing: scrypt over megabytes is a cheap way to burn CPU.
  if (!plausibleEmail(email) || passwordLength(password) > PASSWORD_LENGTH.max) return null
  const user = await findUserByEmail(ctx.db, email)
  if (user === undefined) {
    await verifyPassword(password, await decoyHash())
    return null
  }
  const valid = await verifyPassword(password, user.password_hash)
  return valid && user.is_active ? user : null
}

/** Refuses while the throttle says so: login, and changePassword's check of the current password. */
async function throttled (ctx: GraphQLContext, email: string): Promise<void> {
  const waitSeconds = await ctx.app.loginThrottle.attempt(email, ctx.ip)
  if (waitSeconds === null) return
  ctx.log.warn({ event: 'login_throttled', retryAfterSeconds: waitSeconds }, 'authentication refused: too many failed sign-ins')
  void ctx.reply.header('retry-after', String(waitSeconds))
  throw new AppError('RATE_LIMITED', `Too many failed sign-ins; try again in ${waitSeconds} s`, { retryAfterSeconds: waitSeconds }, 429)
}

function sessionEvent (ctx: GraphQLContext, user: Pick<UserRow, 'id' | 'organization_id'>, action: AuditEvent['action'], actor: Pick<UserRow, 'id' | 'role'> | null): AuditEvent {
  return {
    organizationId: user.organization_id,
    actorId: actor?.id ?? null,
    actorRole: actor?.role ?? null,
    operation: ctx.field ?? 'unknown',
    requestId: ctx.requestId,
    entity: 'User',
    entityId: user.id,
    action
  }
}

/** A user of the viewer's organization, locked for the change; NOT_FOUND otherwise. */
async function lockTarget (trx: Transaction<Database>, ctx: GraphQLContext, userId: string): Promise<UserRow> {
  const user = await lockUser(trx, viewerOf(ctx).organizationId, userId)
  if (user === undefined) throw notFound('User', userId)
  return user
}

/** The organization keeps at least one active admin: refuses a change that would remove the last. */
async function keepAnAdmin (trx: Transaction<Database>, ctx: GraphQLContext, userId: string, what: string): Promise<void> {
  const admins = await lockActiveAdmins(trx, viewerOf(ctx).organizationId)
  if (admins.length === 1 && admins[0] === userId) throw conflict(`This is the organization's last active admin: ${what} would leave nobody to manage users`, 'id')
}

async function linkDriverOf (trx: Transaction<Database>, ctx: GraphQLContext, userId: string, driverId: string | null): Promise<string | null> {
  const linked = await linkDriver(trx, viewerOf(ctx).organizationId, userId, driverId)
  if (linked === null) throw badInput('No such driver', 'input.driverId')
  return linked.previousUser
}

export const identityResolvers: Resolvers = {
  Query: {
    me: async (_, __, ctx) => ctx.viewer === null ? null : await ctx.loaders.users.byId.load(ctx.viewer.userId),
    user: async (_, args, ctx) => await ctx.loaders.users.byId.load(id(args.id, 'id')),
    users: async (_, { filter, orderBy, ...page }, ctx) => await listUsers(
      ctx.db,
      viewerOf(ctx).organizationId,
      {
        role: distinct(filter?.role),
        active: filter?.active ?? undefined,
        search: filter?.search === undefined || filter.search === null || filter.search.trim() === '' ? undefined : text(filter.search, 'filter.search', 100).toLowerCase()
      },
      userSort(orderBy?.field ?? 'NAME', orderBy?.direction === 'DESC' ? 'desc' : 'asc'),
      page
    )
  },
  Mutation: {
    login: async (_, { email, password }, ctx) => {
      await throttled(ctx, email)
      const user = await authenticate(ctx, email, password).catch(async (err: unknown) => {
        await ctx.app.loginThrottle.undecided(email, ctx.ip)
        throw err
      })
      if (user === null) {
        ctx.log.warn({ event: 'login_failed' }, 'authentication failed: invalid email or password')
        throw unauthenticated(INVALID_CREDENTIALS)
      }
      await ctx.app.loginThrottle.succeeded(email, ctx.ip)
      const refresh = await write(ctx, async (trx) => {
        await recordLogin(trx, user.id)
        await recordEvent(trx, sessionEvent(ctx, user, 'SIGN_IN', user))
        return await startSession(trx, user, ctx.config.REFRESH_TOKEN_TTL_DAYS)
      }, user)
      ctx.log.info({ event: 'login', userId: user.id, organizationId: user.organization_id }, 'login succeeded')
      return await payload(ctx, user, refresh)
    },
    refreshSession: async (_, { refreshToken }, ctx) => {
      const outcome = await write(ctx, async (trx) => {
        const result = await rotateSession(trx, refreshToken, ctx.config.REFRESH_TOKEN_TTL_DAYS)
        if (result.kind === 'reused') await recordEvent(trx, sessionEvent(ctx, result.owner, 'SESSION_REVOKED', null))
        return result
      })
      if (outcome.kind === 'reused') {
        ctx.log.warn({ event: 'refresh_token_reused', userId: outcome.owner.id }, 'authentication failed: a used refresh token was presented again; its session is revoked')
        throw unauthenticated('Refresh token was already used; the session has been ended for safety: sign in again')
      }
      if (outcome.kind === 'invalid') {
        ctx.log.warn({ event: 'refresh_failed' }, `authentication failed: ${outcome.reason}`)
        throw unauthenticated(outcome.reason)
      }
      return await payload(ctx, outcome.user, outcome.next)
    },
    logout: async (_, { refreshToken }, ctx) => await write(ctx, async (trx) => {
      const owner = await endSession(trx, refreshToken)
      if (owner !== null) await recordEvent(trx, sessionEvent(ctx, owner, 'SIGN_OUT', owner))
      return owner !== null
    }),
    changePassword: async (_, args, ctx) => {
      const viewer = viewerOf(ctx)
      const current = await ctx.loaders.users.byId.load(viewer.userId)
      if (current === null) throw unauthenticated()
      await throttled(ctx, current.email)
      if (passwordLength(args.currentPassword) > PASSWORD_LENGTH.max || !await verifyPassword(args.currentPassword, current.password_hash)) {
        throw badInput('The current password is not right', 'currentPassword')
      }
      await ctx.app.loginThrottle.succeeded(current.email, ctx.ip)
      const chosen = newPassword(args.newPassword, 'newPassword')
      if (await verifyPassword(chosen, current.password_hash)) throw badInput('Choose a password different from the current one', 'newPassword')
      const passwordHash = await hashPassword(chosen)
      const { user, refresh } = await write(ctx, async (trx) => {
        const changed = await changeUser(trx, viewer.userId, { password_hash: passwordHash, must_change_password: false }, true)
        return { user: changed, refresh: await startSession(trx, changed, ctx.config.REFRESH_TOKEN_TTL_DAYS) }
      })
      await invalidateAccess(ctx.cache, viewer.organizationId, [viewer.userId])
      ctx.log.info({ event: 'password_changed' }, 'password changed; other sessions ended')
      return await payload(ctx, user, refresh)
    },
    createUser: async (_, { input }, ctx) => {
      const { organizationId } = viewerOf(ctx)
      const request = newUserRequest(input)
      const temporary = request.password === null ? temporaryPassword() : null
      const passwordHash = await hashPassword(request.password ?? temporary as string)
      const { user, unlinked } = await write(ctx, async (trx) => {
        const created = await insertUser(trx, {
          organization_id: organizationId,
          email: request.email,
          name: request.name,
          role: request.role,
          password_hash: passwordHash,
          must_change_password: temporary !== null
        })
        return { user: created, unlinked: request.driverId === null ? null : await linkDriverOf(trx, ctx, created.id, request.driverId) }
      })
      await invalidateAccess(ctx.cache, organizationId, [unlinked])
      ctx.log.info({ event: 'user_created', targetUserId: user.id, role: user.role }, 'user created')
      return { user, temporaryPassword: temporary }
    },
    updateUser: async (_, args, ctx) => {
      const userId = id(args.id, 'id')
      const { organizationId } = viewerOf(ctx)
      const { patch, driverId } = userPatchRequest(args.input)
      const { user, unlinked } = await write(ctx, async (trx) => {
        if (patch.role !== undefined && patch.role !== 'ADMIN') await keepAnAdmin(trx, ctx, userId, 'changing their role')
        const updated = await updateVersioned(trx, 'users', { organizationId, id: userId }, args.input.expectedVersion, patch, 'User')
        if (driverId === undefined) return { user: updated, unlinked: null }
        const unlinked = await linkDriverOf(trx, ctx, userId, driverId)
        return { user: Object.keys(patch).length === 0 ? await touchUser(trx, userId) : updated, unlinked }
      })
      await invalidateAccess(ctx.cache, organizationId, [user.id, unlinked])
      ctx.loaders.users.byId.clear(user.id).prime(user.id, user)
      return user
    },
    deactivateUser: async (_, args, ctx) => {
      const userId = id(args.id, 'id')
      const viewer = viewerOf(ctx)
      if (userId === viewer.userId) throw conflict('You cannot deactivate yourself; ask another admin', 'id')
      const user = await write(ctx, async (trx) => {
        await keepAnAdmin(trx, ctx, userId, 'deactivating them')
        const target = await lockTarget(trx, ctx, userId)
        if (!target.is_active) return target
        return await changeUser(trx, userId, { is_active: false, deactivated_at: new Date() }, true)
      })
      await invalidateAccess(ctx.cache, viewer.organizationId, [user.id])
      ctx.loaders.users.byId.clear(user.id).prime(user.id, user)
      ctx.log.warn({ event: 'user_deactivated', targetUserId: user.id }, 'user deactivated; their sessions ended')
      return user
    },
    reactivateUser: async (_, args, ctx) => {
      const userId = id(args.id, 'id')
      const { organizationId } = viewerOf(ctx)
      const user = await write(ctx, async (trx) => {
        const target = await lockTarget(trx, ctx, userId)
        if (target.is_active) return target
        return await changeUser(trx, userId, { is_active: true, deactivated_at: null }, false)
      })
      await invalidateAccess(ctx.cache, organizationId, [user.id])
      ctx.loaders.users.byId.clear(user.id).prime(user.id, user)
      return user
    },
    resetUserPassword: async (_, args, ctx) => {
      const userId = id(args.id, 'id')
      const { organizationId } = viewerOf(ctx)
      const temporary = temporaryPassword()
      const passwordHash = await hashPassword(temporary)
      const user = await write(ctx, async (trx) => {
        await lockTarget(trx, ctx, userId)
        return await changeUser(trx, userId, { password_hash: passwordHash, must_change_password: true }, true)
      })
      await invalidateAccess(ctx.cache, organizationId, [user.id])
      ctx.loaders.users.byId.clear(user.id).prime(user.id, user)
      ctx.log.warn({ event: 'password_reset', targetUserId: user.id }, 'password reset by an admin; the user\'s sessions ended')
      return { user, temporaryPassword: temporary }
    }
  },
  User: {
    organization: async (user, _, ctx) => await required(ctx.loaders.organizations.byId, user.organization_id, `Organization of user ${user.id}`),
    active: (user) => user.is_active,
    deactivatedAt: (user) => user.deactivated_at,
    mustChangePassword: (user) => user.must_change_password,
    driver: async (user, _, ctx) => ctx.viewer?.organizationId === user.organization_id
      ? await ctx.loaders.drivers.byUser.load(user.id)
      // A sign-in payload: the loaders serve the viewer's organization, and there is no viewer yet.
      : (await findDriversByUserIds(ctx.db, user.organization_id, [user.id]))[0] ?? null,
    lastLoginAt: (user) => user.last_login_at,
    createdAt: (user) => user.created_at,
    updatedAt: (user) => user.updated_at
  },
  UserConnection: connectionResolvers
}
