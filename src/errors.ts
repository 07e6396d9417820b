// Errors are part of the API contract: every error a client can see, through GraphQL or the REST
// doors, carries one of these codes (`extensions.code` in GraphQL, `error.code` in REST answers).
// Expected failures are thrown as AppError, from any layer; anything else is a bug or an outage
// and is logged, then masked as INTERNAL_SERVER_ERROR (src/graphql/error-formatter.ts).

export const ERROR_CODES = [
  'BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED',
  'FEATURE_DISABLED', 'MAINTENANCE', 'SERVICE_UNAVAILABLE', 'QUERY_TOO_COMPLEX', 'INTERNAL_SERVER_ERROR'
] as const

export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'FEATURE_DISABLED'
  | 'MAINTENANCE'
  | 'SERVICE_UNAVAILABLE'
  | 'QUERY_TOO_COMPLEX'
  | 'INTERNAL_SERVER_ERROR'

export interface ErrorExtensions {
  code: ErrorCode
  /** The input field at fault (path within the arguments, e.g. `input.vin`). */
  field?: string
  [key: string]: unknown
}

/** A database constraint's meaning to a client: the input field at fault and what to say. */
export interface ConstraintMeaning {
  field: string
  message: string
}

/**
 * An expected failure. graphql-js carries `extensions` into the GraphQL error; `statusCode` is the
 * HTTP status when the response has no data (e.g. 400 for a refused query), as Mercurius reads it.
 */
export class AppError extends Error {
  readonly extensions: ErrorExtensions
  readonly statusCode: number

  constructor (code: ErrorCode, message: string, extra: Omit<ErrorExtensions, 'code'> = {}, statusCode = 200) {
    super(message)
    this.name = 'AppError'
    this.extensions = { code, ...extra }
    this.statusCode = statusCode
  }

  get code (): ErrorCode {
    return this.extensions.code
  }
}

export function badInput (message: string, field?: string): AppError {
  return new AppError('BAD_USER_INPUT', message, field === undefined ? {} : { field })
}

export function notFound (entity: string, id?: string): AppError {
  return new AppError('NOT_FOUND', id === undefined ? `${entity} not found` : `${entity} ${id} not found`)
}

export function conflict (message: string, field?: string): AppError {
  return new AppError('CONFLICT', message, field === undefined ? {} : { field })
}

export function unauthenticated (message = 'Authentication required: send Authorization: Bearer <accessToken>'): AppError {
  return new AppError('UNAUTHENTICATED', message)
}

export function forbidden (message = 'Your role does not allow this operation'): AppError {
  return new AppError('FORBIDDEN', message)
}

export function serviceUnavailable (message: string): AppError {
  return new AppError('SERVICE_UNAVAILABLE', message)
}
