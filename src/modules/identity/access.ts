import type { Kysely } from 'kysely'
import type { EntityCache, EntityCodec } from '../../cache/entity-cache.js'
import type { Database, Role } from '../../database/schema.js'
import type { Viewer } from '../../graphql/context.js'
import type { SingleSignOn } from './oidc.js'
import { type AccessClaims, type AccessTokenIssuer, TokenProblem } from './tokens.js'

// What a signed-in user may do now. An access token is only a claim: every request (and every
// subscription event) checks it against the user's current state, so deactivating a user or
// ending their sessions refuses their tokens at once, and a role change applies at once, on every
// replica. The state is small and read through the shared entity cache (one Redis GET per request
// when warm); every change to it invalidates that entry (see `invalidateAccess`), and the cache's
// tombstones keep a replica from writing the old state back.
//
// With single sign-on configured, a token whose issuer is the identity provider is verified and
// mapped to its user by src/modules/identity/oidc.ts, then checked here the same way, except for
// the session epoch: the provider's sessions are not ours to end (deactivation still refuses them).

export interface UserAccess {
  id: string
  organization_id: string
  role: Role
  is_active: boolean
  session_epoch: number
  must_change_password: boolean
  /** The driver record linked to the user, if any (DRIVER scoping). */
  driver_id: string | null
}

export const USER_ACCESS: EntityCodec<UserAccess> = { entity: 'user_access', dates: [] }

const SESSION_ENDED = 'Your session has ended (signed out by an administrator, or the account was deactivated): sign in again'

/**
 * Who a token stands for, before their current state decides what it is worth: the claims of our
 * own access token, or (sessionEpoch null) the user a single sign-on token is linked to.
 */
export type AccessGrant = Pick<AccessClaims, 'userId' | 'organizationId'> & { sessionEpoch: number | null }

/** The current state of users (exported for bench/rls.ts, which replays a request's statements). */
export async function findAccess (db: Kysely<Database>, organizationId: string, ids: readonly string[]): Promise<UserAccess[]> {
  return await db.selectFrom('users')
    .leftJoin('drivers', (join) => join.onRef('drivers.user_id', '=', 'users.id').onRef('drivers.organization_id', '=', 'users.organization_id'))
    .select(['users.id', 'users.organization_id', 'users.role', 'users.is_active', 'users.session_epoch', 'users.must_change_password', 'drivers.id as driver_id'])
    .where('users.organization_id', '=', organizationId)
    .where('users.id', 'in', ids)
    .execute()
}

/** After any change to a user's role, activity, sessions, password duty or driver link. */
export async function invalidateAccess (cache: EntityCache, organizationId: string, userIds: ReadonlyArray<string | null>): Promise<void> {
  await cache.invalidate(USER_ACCESS.entity, organizationId, userIds.filter((id): id is string => id !== null))
}

export class AccessCheck {
  constructor (
    private readonly tokens: AccessTokenIssuer,
    private readonly cache: EntityCache,
    /** The primary: a replica's lag must not let a deactivated user back in. */
    private readonly db: () => Kysely<Database>,
    /** Set when OIDC_* configure single sign-on. */
    private readonly singleSignOn?: SingleSignOn
  ) {}

  /** The viewer of a bearer token; throws TokenProblem when it is not (or no longer) good. */
  async viewerOf (token: string): Promise<Viewer> {
    return await this.current(await this.grantOf(token))
  }

  /** Who a bearer token stands for, before their current state is checked; throws TokenProblem. */
  async grantOf (token: string): Promise<AccessGrant> {
    if (this.singleSignOn?.issued(token) === true) return { ...await this.singleSignOn.userOf(token), sessionEpoch: null }
    return await this.tokens.verify(token)
  }

  /** The viewer the grant stands for now: for each request, and each event of a subscription. */
  async current (grant: AccessGrant): Promise<Viewer> {
    const [access] = await this.cache.load(USER_ACCESS, grant.organizationId, [grant.userId],
      async (ids) => await findAccess(this.db(), grant.organizationId, ids))
    if (access === undefined || !access.is_active) throw new TokenProblem(SESSION_ENDED)
    const singleSignOn = grant.sessionEpoch === null
    if (!singleSignOn && access.session_epoch !== grant.sessionEpoch) throw new TokenProblem(SESSION_ENDED)
    return {
      userId: access.id,
      organizationId: access.organization_id,
      role: access.role,
      sessionEpoch: singleSignOn ? null : access.session_epoch,
      driverId: access.driver_id,
      // A temporary password binds password sign-ins; the identity provider vouched for this one.
      mustChangePassword: !singleSignOn && access.must_change_password
    }
  }
}
