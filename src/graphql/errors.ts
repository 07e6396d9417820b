import mercurius from 'mercurius'

const { ErrorWithProps } = mercurius

// Errors are part of the API contract: every error a client can see carries one of these codes
// in `extensions.code`. Expected failures are thrown as AppError; anything else is a bug or an
// outage and is logged, then masked as INTERNAL_SERVER_ERROR (see error-formatter.ts).

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

export class AppError extends ErrorWithProps {
  declare extensions: ErrorExtensions

  /** `statusCode` is the HTTP status when the response has no data (e.g. 400 for a refused query). */
  constructor (code: ErrorCode, message: string, extra: Omit<ErrorExtensions, 'code'> = {}, statusCode?: number) {
    super(message, { code, ...extra }, statusCode)
    this.name = 'AppError'
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
