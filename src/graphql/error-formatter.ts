import type { FastifyBaseLogger } from 'fastify'
import { GraphQLError, type GraphQLFormattedError } from 'graphql'
import type { ExecutionResult } from 'graphql'
import type { MercuriusContext } from 'mercurius'
import { connectionLost, databaseErrorMeaning, isDatabaseError, poolExhausted } from '../database/failures.js'
import { AppError, type ConstraintMeaning, ERROR_CODES, type ErrorCode, type ErrorExtensions } from '../errors.js'
import { LEGACY_JSON, type ResponseMediaType } from './over-http.js'
import { PERSISTED_QUERY_NOT_FOUND } from './persisted-queries.js'

// Every error leaving the API gets an `extensions.code`. Expected failures keep their message;
// database errors become CONFLICT / BAD_USER_INPUT / SERVICE_UNAVAILABLE with a message in the
// client's terms (constraint names never leave); anything else is logged with the request id
// and, in production, reduced to "Internal server error".

interface Classified {
  error: GraphQLFormattedError
  /** HTTP status for a response without data (request errors: parse, validation, body). */
  status: number
  /**
   * Its status when the response is application/json, if another: the spec answers GraphQL's own
   * request errors (a document that does not parse or validate, variables that do not fit) 200
   * there, and 400 only in application/graphql-response+json.
   */
  legacyStatus?: number
}

function withCode (error: GraphQLError, extensions: ErrorExtensions, message = error.message): GraphQLFormattedError {
  return {
    message,
    ...(error.locations === undefined ? {} : { locations: error.locations }),
    ...(error.path === undefined ? {} : { path: error.path }),
    extensions
  }
}

export interface ErrorFormatterOptions {
  constraints: Record<string, ConstraintMeaning>
  /** Replace unexpected errors' messages (production). */
  mask: boolean
  /** Called for every error by code, e.g. to count them. */
  onError?: (code: ErrorCode) => void
  /** Called when the database pool had no connection to give in time. */
  onPoolExhausted?: () => void
  /** Called when the database could not be reached at all (no SQL ran, so no query metric saw it). */
  onDatabaseUnreachable?: (kind: 'connection') => void
  /** Called with each unexpected error (a bug or an unknown failure), for Sentry and Application Insights. */
  onUnexpected?: (err: unknown, ctx: MercuriusContext) => void
  /** The media type the response goes out in (application/json when not told). */
  mediaTypeOf?: (ctx: MercuriusContext) => ResponseMediaType
}

function classify (error: GraphQLError, options: ErrorFormatterOptions, log: FastifyBaseLogger, unexpected: (err: unknown) => void): Classified {
  const original: unknown = error.originalError
  if (original instanceof AppError) {
    log.debug({ code: original.code, path: error.path }, original.message)
    const classified = { error: withCode(error, original.extensions), status: original.statusCode ?? 200 }
    // A step of Apollo's protocol, which older clients abandon when it comes with a 400 or 500.
    return (original.extensions.code as string) === PERSISTED_QUERY_NOT_FOUND ? { ...classified, legacyStatus: 200 } : classified
  }
  // graphql-js's own errors: syntax, validation and variable coercion carry no path.
  if (original === undefined || original instanceof GraphQLError) {
    if (error.path === undefined) {
      // A code set by our own validation rules (QUERY_TOO_COMPLEX) stays; anything else is bad input.
      // graphql-jit's variable errors (a document's second run is compiled) have no extensions.
      const code = error.extensions?.code
      const known = typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code) ? code as ErrorCode : 'BAD_USER_INPUT'
      return { error: withCode(error, { ...error.extensions, code: known }), status: 400, legacyStatus: 200 }
    }
  }
  // Fastify and Mercurius request errors (malformed JSON, unsupported method, persisted query miss).
  const statusCode = (original as { statusCode?: unknown } | undefined)?.statusCode
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    log.debug({ err: original }, error.message)
    return { error: withCode(error, { code: 'BAD_USER_INPUT' }), status: statusCode }
  }
  if (isDatabaseError(original)) {
    const mapped = databaseErrorMeaning(original, options.constraints)
    if (mapped !== null) {
      if (mapped.code === 'SERVICE_UNAVAILABLE') log.error({ err: original, path: error.path }, 'database unavailable')
      return {
        error: withCode(error, { code: mapped.code, ...(mapped.field === undefined ? {} : { field: mapped.field }) }, mapped.message),
        status: mapped.code === 'SERVICE_UNAVAILABLE' ? 503 : 200
      }
    }
  }
  if (poolExhausted(original)) {
    options.onPoolExhausted?.()
    options.onDatabaseUnreachable?.('connection')
    log.error({ err: original, path: error.path }, 'Connection pool exhausted')
    return { error: withCode(error, { code: 'SERVICE_UNAVAILABLE' }, 'Connection pool exhausted; try again shortly'), status: 503 }
  }
  if (connectionLost(original)) {
    options.onDatabaseUnreachable?.('connection')
    log.error({ err: original, path: error.path }, 'database unreachable')
    return { error: withCode(error, { code: 'SERVICE_UNAVAILABLE' }, 'The database is unavailable; try again shortly'), status: 503 }
  }
  log.error({ err: original ?? error, path: error.path }, 'unexpected error while resolving')
  unexpected(original ?? error)
  return {
    error: withCode(error, { code: 'INTERNAL_SERVER_ERROR' }, options.mask ? 'Internal server error' : error.message),
    status: 500
  }
}

/** Flattens Mercurius's wrapper around a list of validation errors into the errors themselves. */
function flatten (errors: readonly GraphQLError[]): GraphQLError[] {
  return errors.flatMap((error) => {
    const nested = (error.originalError as { errors?: unknown } | undefined)?.errors
    if (Array.isArray(nested) && nested.every((e) => e instanceof GraphQLError)) return nested as GraphQLError[]
    return [error]
  })
}

/**
 * A logger that writes each distinct message once per response: when the database is down, a
 * page of 50 vehicles fails 50 times for one reason, and the log should say so once.
 */
function onceEach (log: FastifyBaseLogger): FastifyBaseLogger {
  const seen = new Set<string>()
  const wrap = (level: 'error' | 'debug') => (details: object, message: string) => {
    if (seen.has(`${level}:${message}`)) return
    seen.add(`${level}:${message}`)
    log[level](details, message)
  }
  return Object.assign(Object.create(log) as FastifyBaseLogger, { error: wrap('error'), debug: wrap('debug') })
}

export function createErrorFormatter (options: ErrorFormatterOptions) {
  return (execution: ExecutionResult & { statusCode?: number }, ctx: MercuriusContext) => {
    const log = onceEach(ctx.reply === undefined ? ctx.app.log : ctx.reply.log)
    // Like the log, back ends hear of each distinct failure once per response.
    const reported = new Set<string>()
    const unexpected = (err: unknown) => {
      const key = err instanceof Error ? err.message : String(err)
      if (reported.has(key)) return
      reported.add(key)
      options.onUnexpected?.(err, ctx)
    }
    const classified = flatten(execution.errors ?? []).map((error) => classify(error, options, log, unexpected))
    for (const { error } of classified) options.onError?.((error.extensions as ErrorExtensions).code)
    const legacy = (options.mediaTypeOf?.(ctx) ?? LEGACY_JSON) === LEGACY_JSON
    // With data, GraphQL answers 200 and the errors travel beside it. Without data, the status
    // says what kind of failure it was: 4xx for a refused request (but application/json answers
    // GraphQL's own request errors 200, the spec's rule for that media type), 503 when a dependency
    // is down, 500 for a bug, and 200 for an expected failure of the operation itself (NOT_FOUND,
    // CONFLICT, ...), as GraphQL over HTTP does. HTTP error-rate alerts thus see outages and bugs.
    let statusCode = 200
    if (execution.data === undefined || execution.data === null) {
      const statuses = classified.map((c) => legacy ? c.legacyStatus ?? c.status : c.status)
      statusCode = statuses.find((s) => s >= 400 && s < 500) ?? statuses.find((s) => s === 503) ?? statuses.find((s) => s === 500) ?? 200
    }
    const errors = classified.map((c) => c.error)
    // A request refused before execution has no data entry at all (the GraphQL spec); null data
    // means the operation ran and its root failed.
    return { statusCode, response: 'data' in execution ? { data: execution.data ?? null, errors } : { errors } }
  }
}
