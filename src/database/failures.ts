import type { ConstraintMeaning, ErrorCode } from '../errors.js'

// What PostgreSQL and pg say when something fails, in the API's terms: shared by what clients are
// told (src/graphql/error-formatter.ts, the REST doors) and what the metrics count
// (src/telemetry/instruments.ts). Connection failures carry no SQLSTATE: pg raises them itself.

/** The pool had no connection to give within its connection timeout. */
export function poolExhausted (err: unknown): boolean {
  return err instanceof Error && /timeout exceeded when trying to connect/i.test(err.message)
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE'])
const CONNECTION_LOST = /^Connection terminated|encountered a connection error and is not queryable/

/** The server could not be reached, or the connection went away under a query or a transaction. */
export function connectionLost (err: unknown): boolean {
  return err instanceof Error && (CONNECTION_CODES.has((err as NodeJS.ErrnoException).code ?? '') || CONNECTION_LOST.test(err.message))
}

/** A PostgreSQL error (pg's DatabaseError): its SQLSTATE, and the constraint when one was violated. */
export interface DatabaseError {
  code: string
  constraint?: string
}

export function isDatabaseError (err: unknown): err is DatabaseError {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' &&
    /^[0-9A-Z]{5}$/.test((err as { code: string }).code) && 'severity' in err
}

/**
 * What a PostgreSQL error means to a client: a constraint (CONFLICT or BAD_USER_INPUT naming the
 * field), a value PostgreSQL cannot take, or the database being unavailable; null for anything
 * else, which is a bug.
 */
export function databaseErrorMeaning (err: DatabaseError, constraints: Record<string, ConstraintMeaning>): { code: ErrorCode, message: string, field?: string } | null {
  const meaning = err.constraint === undefined ? undefined : constraints[err.constraint]
  switch (err.code) {
    case '23505':
    case '23P01':
      return { code: 'CONFLICT', message: meaning?.message ?? 'Conflicts with an existing record', field: meaning?.field }
    case '23503':
    case '23514':
    case '23502':
      return { code: 'BAD_USER_INPUT', message: meaning?.message ?? 'A value is not allowed here', field: meaning?.field }
    case '57014':
      return { code: 'SERVICE_UNAVAILABLE', message: 'The database took too long to answer; try again' }
    case '40001':
    case '40P01':
      return { code: 'SERVICE_UNAVAILABLE', message: 'The change collided with a concurrent one; try again' }
    default:
      // Class 22, data exception: a value PostgreSQL cannot take (bad format, out of range, a NUL byte).
      if (err.code.startsWith('22')) return { code: 'BAD_USER_INPUT', message: 'A value has the wrong format or is out of range' }
      // 08P01, a protocol violation, comes from the statement itself (e.g. more than 65535 parameters), not an outage.
      if (err.code === '08P01') return { code: 'BAD_USER_INPUT', message: 'The request is too large for the database; send fewer values' }
      if (err.code.startsWith('08') || err.code.startsWith('53') || err.code.startsWith('57P')) {
        return { code: 'SERVICE_UNAVAILABLE', message: 'The database is unavailable; try again shortly' }
      }
      return null
  }
}


/**
 * Why the database could not serve a request (down, too slow, pool exhausted), or null when the
 * error is anything else. For the REST routes, which answer it as 503 SERVICE_UNAVAILABLE.
 */
export function databaseUnavailable (err: unknown): string | null {
  if (isDatabaseError(err)) {
    const mapped = databaseErrorMeaning(err, {})
    return mapped?.code === 'SERVICE_UNAVAILABLE' ? mapped.message : null
  }
  if (poolExhausted(err)) return 'Connection pool exhausted; try again shortly'
  if (connectionLost(err)) return 'The database is unavailable; try again shortly'
  return null
}
