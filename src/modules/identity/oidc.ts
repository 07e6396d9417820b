import type { FastifyBaseLogger } from 'fastify'
import { createRemoteJWKSet, decodeJwt, errors, type JWTPayload, jwtVerify, type JWTVerifyGetKey } from 'jose'
import type { Kysely } from 'kysely'
import type { Config } from '../../config.js'
import { tagTransaction } from '../../database/audit.js'
import type { Database } from '../../database/schema.js'
import { AppError } from '../../errors.js'
import { TokenProblem } from './tokens.js'

// Single sign-on: bearer tokens of one OpenID Connect identity provider (OIDC_ISSUER, e.g.
// Microsoft Entra ID) stand for the Fleet API user they are linked to. The token only says who the
// person is: their organization, role and whether they may sign in at all come from our users
// table, checked on every request like our own tokens (AccessCheck.current).
//
// Verification: signature against the provider's published keys (JWKS, fetched and cached by jose:
// reloaded after 10 minutes, or at once, at most every 30 s, for a token signed with an unknown
// key), asymmetric algorithms only, issuer, audience, expiry (30 s of clock skew).
//
// Linking: by the provider's subject (`sub`) first. A subject not linked yet is matched by email
// (`email`, else `preferred_username` or `upn`, which Entra ID sends) among active users, unless
// the provider says the address is unverified, and the subject is then recorded on that user
// (users.oidc_issuer/oidc_subject), so that a later change of address at the provider keeps the
// link. There is no provisioning: an admin invites the user first (createUser). A subject's user
// never changes once linked, so each replica remembers it for a while (LINK_TTL_MS) and a warm
// request costs what one with our own token costs: a signature check and the access state lookup.

export interface SingleSignOnSettings {
  issuer: string
  audience: string
  jwksUrl: string
}

export interface SingleSignOnOptions extends SingleSignOnSettings {
  /** The primary: a link just recorded must be found by the next request. */
  db: () => Kysely<Database>
  log: Pick<FastifyBaseLogger, 'info' | 'warn'>
  /** How long a fetch of the signing keys may take before the request fails with SERVICE_UNAVAILABLE. */
  jwksTimeoutMs?: number
}

/** The user a single sign-on token stands for (their current state is checked separately). */
export interface LinkedUser {
  userId: string
  organizationId: string
}

interface Identity {
  subject: string
  /** Lower-cased; null when the token has none we may match by. */
  email: string | null
}

/** Asymmetric signatures only: never HS* (its key would be the public one) nor `none`. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']
const CLOCK_TOLERANCE_SECONDS = 30
const JWKS_TIMEOUT_MS = 3000
const LINK_TTL_MS = 5 * 60_000
const MAX_LINKS = 10_000
const MAX_SUBJECT = 255
const MAX_EMAIL = 254
const EMAIL = /^[^@\s]+@[^@\s]+$/
const EMAIL_CLAIMS = ['email', 'preferred_username', 'upn'] as const

const NO_USER = 'No Fleet API user for this identity; ask an administrator to invite you'
const LINKED_TO_ANOTHER = 'The Fleet API user with this email is linked to another identity of the identity provider; ask an administrator'
const KEYS_UNAVAILABLE = 'The identity provider\'s signing keys could not be fetched, so the single sign-on token cannot be checked; try again shortly'

/** The single sign-on settings, when all three are configured (config.ts refuses some of them). */
export function singleSignOnSettings (config: Pick<Config, 'OIDC_ISSUER' | 'OIDC_AUDIENCE' | 'OIDC_JWKS_URL'>): SingleSignOnSettings | undefined {
  const { OIDC_ISSUER: issuer, OIDC_AUDIENCE: audience, OIDC_JWKS_URL: jwksUrl } = config
  return issuer === undefined || audience === undefined || jwksUrl === undefined ? undefined : { issuer, audience, jwksUrl }
}

/** The keys could not be had (the provider unreachable, slow, or answering nonsense): not the token's fault. */
class KeysUnavailable extends Error {}

/** The errors of a key lookup that are the token's fault; anything else is the provider's. */
const TOKEN_KEY_ERRORS = [errors.JWKSNoMatchingKey, errors.JWKSMultipleMatchingKeys, errors.JOSENotSupported]

function isUniqueViolation (err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505'
}

/** The address to match by: the first claim that holds one, unless the provider says it is unverified. */
function emailOf (payload: JWTPayload): string | null {
  if (payload.email_verified === false || payload.email_verified === 'false') return null
  for (const claim of EMAIL_CLAIMS) {
    const value = payload[claim]
    if (typeof value !== 'string') continue
    const email = value.trim().toLowerCase()
    if (email.length <= MAX_EMAIL && EMAIL.test(email)) return email
  }
  return null
}

export class SingleSignOn {
  private readonly keys: JWTVerifyGetKey
  /** issuer + subject -> user, with the time the entry expires. */
  private readonly links = new Map<string, { user: LinkedUser, expires: number }>()

  constructor (private readonly options: SingleSignOnOptions) {
    const remote = createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: options.jwksTimeoutMs ?? JWKS_TIMEOUT_MS })
    this.keys = async (header, token) => {
      try {
        return await remote(header, token)
      } catch (err) {
        if (TOKEN_KEY_ERRORS.some((type) => err instanceof type)) throw err
        throw new KeysUnavailable('JWKS unavailable', { cause: err })
      }
    }
  }

  /** Whether a token says it comes from the identity provider. Unverified: it only routes the token. */
  issued (token: string): boolean {
    try {
      return decodeJwt(token).iss === this.options.issuer
    } catch {
      return false
    }
  }

  /** The user a token of the identity provider stands for; throws TokenProblem when it stands for none. */
  async userOf (token: string): Promise<LinkedUser> {
    const identity = await this.verify(token)
    const key = `${this.options.issuer}\n${identity.subject}`
    const remembered = this.links.get(key)
    if (remembered !== undefined && remembered.expires > Date.now()) return remembered.user
    const user = await this.findLinked(identity.subject) ?? await this.linkByEmail(identity)
    this.links.delete(key)
    if (this.links.size >= MAX_LINKS) this.links.delete(this.links.keys().next().value as string)
    this.links.set(key, { user, expires: Date.now() + LINK_TTL_MS })
    return user
  }

  private async verify (token: string): Promise<Identity> {
    let payload: JWTPayload
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'exp']
      }))
    } catch (err) {
      if (err instanceof KeysUnavailable) {
        this.options.log.warn({ err: err.cause, jwksUrl: this.options.jwksUrl }, 'single sign-on: the identity provider\'s signing keys could not be fetched')
        throw new AppError('SERVICE_UNAVAILABLE', KEYS_UNAVAILABLE, {}, 503)
      }
      if (err instanceof errors.JWTExpired) throw new TokenProblem('Single sign-on token has expired: get a new one from the identity provider')
      // jose's reasons name the claim or header at fault (`unexpected "aud" claim value`), which is
      // what an administrator setting up single sign-on needs; they hold nothing secret.
      throw new TokenProblem(err instanceof errors.JOSEError ? `Single sign-on token is invalid: ${err.message}` : 'Single sign-on token is invalid')
    }
    const subject = payload.sub as string
    if (subject === '' || subject.length > MAX_SUBJECT) throw new TokenProblem('Single sign-on token is invalid: unusable "sub" claim')
    return { subject, email: emailOf(payload) }
  }

  private async findLinked (subject: string): Promise<LinkedUser | undefined> {
    const row = await this.options.db().selectFrom('users').select(['id', 'organization_id'])
      .where('oidc_issuer', '=', this.options.issuer)
      .where('oidc_subject', '=', subject)
      .executeTakeFirst()
    return row === undefined ? undefined : { userId: row.id, organizationId: row.organization_id }
  }

  /** The first sign-on of a subject: the active user with its email, who is linked to it from now on. */
  private async linkByEmail (identity: Identity): Promise<LinkedUser> {
    if (identity.email === null) throw new TokenProblem(NO_USER)
    const db = this.options.db()
    const user = await db.selectFrom('users').select(['id', 'organization_id', 'role', 'oidc_issuer'])
      .where('email', '=', identity.email)
      .where('is_active', '=', true)
      .executeTakeFirst()
    if (user === undefined) throw new TokenProblem(NO_USER)
    // Linked to another subject of this provider: an address is not enough to take that over.
    if (user.oidc_issuer === this.options.issuer) throw new TokenProblem(LINKED_TO_ANOTHER)
    let linked: boolean
    try {
      linked = await db.transaction().execute(async (trx) => {
        await tagTransaction(trx, { actorId: user.id, actorRole: user.role, operation: 'singleSignOn', requestId: null }, user.organization_id)
        const result = await trx.updateTable('users')
          .set({ oidc_issuer: this.options.issuer, oidc_subject: identity.subject })
          .where('id', '=', user.id)
          .where('is_active', '=', true)
          .where((eb) => eb.or([eb('oidc_issuer', 'is', null), eb('oidc_issuer', '<>', this.options.issuer)]))
          .executeTakeFirst()
        return result.numUpdatedRows > 0n
      })
    } catch (err) {
      if (!isUniqueViolation(err)) throw err
      linked = false
    }
    if (!linked) {
      // The row changed meanwhile (a concurrent first sign-on linked it, or it was deactivated):
      // the subject's link, if there is one now, decides.
      const now = await this.findLinked(identity.subject)
      if (now === undefined) throw new TokenProblem(NO_USER)
      return now
    }
    this.options.log.info({ event: 'sso_linked', userId: user.id, organizationId: user.organization_id }, 'single sign-on: user linked to their identity at the identity provider')
    return { userId: user.id, organizationId: user.organization_id }
  }
}
