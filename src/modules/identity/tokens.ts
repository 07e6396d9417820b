import { createHash, randomBytes } from 'node:crypto'
import { errors, jwtVerify, SignJWT } from 'jose'
import type { Role } from '../../database/schema.js'
import type { Viewer } from '../../graphql/context.js'

// Access tokens: HS256 JWTs carrying user, organization and role, short-lived so that role
// changes and revocations take effect quickly. Refresh tokens: 256 random bits, stored only as
// a SHA-256 digest (a slow hash adds nothing for a secret with that much entropy).

const ISSUER = 'fleet-api'
const AUDIENCE = 'fleet-api'
const ROLES = new Set<string>(['ADMIN', 'FLEET_MANAGER', 'DISPATCHER', 'MECHANIC', 'DRIVER', 'VIEWER'])

export class TokenProblem extends Error {}

export interface AccessTokenIssuer {
  issue: (viewer: Viewer) => Promise<{ token: string, expiresAt: Date }>
  verify: (token: string) => Promise<Viewer>
}

export function accessTokens (secret: string, ttlSeconds: number): AccessTokenIssuer {
  const key = new TextEncoder().encode(secret)
  return {
    async issue (viewer) {
      const issuedAt = Math.floor(Date.now() / 1000)
      const expiresAt = new Date((issuedAt + ttlSeconds) * 1000)
      const token = await new SignJWT({ org: viewer.organizationId, role: viewer.role })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(viewer.userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(key)
      return { token, expiresAt }
    },
    async verify (token) {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE })
        if (typeof payload.sub !== 'string' || typeof payload.org !== 'string' || typeof payload.role !== 'string' || !ROLES.has(payload.role)) {
          throw new TokenProblem('Access token is missing its claims')
        }
        return { userId: payload.sub, organizationId: payload.org, role: payload.role as Role }
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
