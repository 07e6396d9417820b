import { createHash, randomBytes } from 'node:crypto'
import { errors, jwtVerify, SignJWT } from 'jose'
import type { Role } from '../../database/schema.js'

// Access tokens: HS256 JWTs carrying user, organization, role and the user's session epoch. Each
// request checks them against the user's current state (src/modules/identity/access.ts): a
// deactivated user, or one whose sessions were ended (the epoch was raised), is refused at once,
// and a changed role applies at once. Refresh tokens: 256 random bits, stored only as
// a SHA-256 digest (a slow hash adds nothing for a secret with that much entropy).

const ISSUER = 'fleet-api'
const AUDIENCE = 'fleet-api'
const ROLES = new Set<string>(['ADMIN', 'FLEET_MANAGER', 'DISPATCHER', 'MECHANIC', 'DRIVER', 'VIEWER'])

export class TokenProblem extends Error {}

/** What an access token says; the user's current state decides what it is worth. */
export interface AccessClaims {
  userId: string
  organizationId: string
  role: Role
  sessionEpoch: number
}

export interface AccessTokenIssuer {
  issue: (claims: AccessClaims) => Promise<{ token: string, expiresAt: Date }>
  verify: (token: string) => Promise<AccessClaims>
}

/**
 * Tokens already verified, by the token itself: a signature that was good stays good, so a client
 * sending the same token on every request pays for HMAC verification (WebCrypto, a promise job per
 * call) once. Only the expiry is checked again; what the token is worth now is still decided per
 * request against the user's current state (src/modules/identity/access.ts). Bounded: the oldest
 * entry goes first.
 */
const VERIFIED_MAX = 10_000

export function accessTokens (secret: string, ttlSeconds: number): AccessTokenIssuer {
  const key = new TextEncoder().encode(secret)
  const verified = new Map<string, { claims: AccessClaims, expiresAtMs: number }>()
  return {
    async issue (claims) {
      const issuedAt = Math.floor(Date.now() / 1000)
      const expiresAt = new Date((issuedAt + ttlSeconds) * 1000)
      const token = await new SignJWT({ org: claims.organizationId, role: claims.role, sep: claims.sessionEpoch })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(claims.userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(key)
      return { token, expiresAt }
    },
    async verify (token) {
      const known = verified.get(token)
      if (known !== undefined && known.expiresAtMs > Date.now()) return known.claims
      verified.delete(token)
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['exp', 'iat', 'sub'] })
        if (typeof payload.sub !== 'string' || typeof payload.org !== 'string' || typeof payload.role !== 'string' || !ROLES.has(payload.role) ||
          typeof payload.sep !== 'number' || !Number.isInteger(payload.sep)) {
          throw new TokenProblem('Access token is missing its claims')
        }
        const claims: AccessClaims = { userId: payload.sub, organizationId: payload.org, role: payload.role as Role, sessionEpoch: payload.sep }
        if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string)
        verified.set(token, { claims, expiresAtMs: (payload.exp as number) * 1000 })
        return claims
      } catch (err) {
        if (err instanceof TokenProblem) throw err
        if (err instanceof errors.JWTExpired) throw new TokenProblem('Access token has expired: call refreshSession')
        throw new TokenProblem('Access token is invalid')
      }
    }
  }
}

export function newRefreshToken (): string {
  return randomBytes(32).toString('base64url')
}

export function digestRefreshToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}
