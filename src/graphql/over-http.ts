import { getOperationAST, GraphQLError, parse } from 'graphql'
import { AppError } from '../errors.js'

// GraphQL over HTTP, as the specification words it and graphql-http's audit checks it: the media
// type of a response, chosen from the request's Accept header, and what makes a request's
// parameters well-formed. Which status a response gets under each media type is decided in
// error-formatter.ts.

export const GRAPHQL_RESPONSE = 'application/graphql-response+json'
export const LEGACY_JSON = 'application/json'
export type ResponseMediaType = typeof GRAPHQL_RESPONSE | typeof LEGACY_JSON

export const SUPPORTED = `${GRAPHQL_RESPONSE}, ${LEGACY_JSON}`

interface MediaRange {
  type: string
  q: number
  position: number
}

/** The ranges of an Accept header that can be answered in UTF-8 (the only encoding served). */
function rangesOf (accept: string): MediaRange[] {
  const ranges: MediaRange[] = []
  for (const [position, text] of accept.split(',').entries()) {
    const [type = '', ...parameters] = text.split(';').map((part) => part.trim().toLowerCase())
    let q = 1
    let utf8 = true
    for (const parameter of parameters) {
      const [name, value = ''] = parameter.split('=').map((part) => part.trim().replaceAll('"', ''))
      if (name === 'q') q = Number.isFinite(Number(value)) ? Math.min(Math.max(Number(value), 0), 1) : 0
      if (name === 'charset') utf8 = value === 'utf-8' || value === 'utf8'
    }
    if (type.includes('/') && utf8) ranges.push({ type, q, position })
  }
  return ranges
}

/** How much a client wants one media type: the q of the most specific range that covers it. */
function preference (type: ResponseMediaType, ranges: readonly MediaRange[]): { q: number, named: number | null } {
  const named = ranges.find((range) => range.type === type)
  const covering = named ?? ranges.find((range) => range.type === 'application/*') ?? ranges.find((range) => range.type === '*/*')
  return { q: covering?.q ?? 0, named: named?.position ?? null }
}

/**
 * The media type to answer in: the one the client rates higher; on a tie the one it names first;
 * application/json when it names neither (wildcards, or no Accept header: the spec's legacy
 * default). Null when it accepts neither (406).
 */
export function responseMediaType (accept: string | undefined): ResponseMediaType | null {
  if (accept === undefined || accept.trim() === '') return LEGACY_JSON
  const ranges = rangesOf(accept)
  const modern = preference(GRAPHQL_RESPONSE, ranges)
  const legacy = preference(LEGACY_JSON, ranges)
  if (modern.q === 0 && legacy.q === 0) return null
  if (modern.q !== legacy.q) return modern.q > legacy.q ? GRAPHQL_RESPONSE : LEGACY_JSON
  if (modern.named !== null && (legacy.named === null || modern.named < legacy.named)) return GRAPHQL_RESPONSE
  return LEGACY_JSON
}

function badParameter (message: string): AppError {
  return new AppError('BAD_USER_INPUT', message, {}, 400)
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Checks the parameters of one operation of a JSON body (an object, or each entry of a batch) and
 * drops those that are null: the spec reads null as absent, Mercurius's body schema knows only
 * absent, and its type coercion would take `"operationName": 0` for the name "0".
 */
export function checkBodyParameters (operation: unknown): void {
  if (!isObject(operation)) throw badParameter('The body must be a JSON object with a query, or a list of them (a batch)')
  for (const name of ['query', 'operationName', 'variables', 'extensions'] as const) {
    if (operation[name] === null) delete operation[name]
  }
  const { query, operationName, variables, extensions } = operation
  if (query !== undefined && typeof query !== 'string') throw badParameter('query must be a GraphQL document, as text')
  if (operationName !== undefined && typeof operationName !== 'string') throw badParameter('operationName must be a string, or null')
  if (variables !== undefined && !isObject(variables)) throw badParameter('variables must be an object of variable values, or null')
  if (extensions !== undefined && !isObject(extensions)) throw badParameter('extensions must be an object, or null')
}

/**
 * Checks the parameters of a GET request (each at most once; variables and extensions JSON
 * objects) and drops the optional ones that are empty, which the spec reads as absent.
 */
export function checkQueryStringParameters (parameters: Record<string, unknown>): void {
  for (const name of ['query', 'operationName', 'variables', 'extensions'] as const) {
    const value = parameters[name]
    if (value !== undefined && typeof value !== 'string') throw badParameter(`${name} must be given once`)
    if (value === '' && name !== 'query') delete parameters[name]
  }
  for (const name of ['variables', 'extensions'] as const) {
    const text = parameters[name]
    if (typeof text !== 'string') continue
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      throw badParameter(`${name} must be JSON text`)
    }
    if (!isObject(value)) throw badParameter(`${name} must be a JSON object`)
  }
}

/**
 * Refuses a document without an operation to run by this name (none named so, or several and no
 * name), as graphql-js refuses it when executing. A document that does not parse is the parser's.
 */
export function checkOperationChosen (query: string, operationName: string | undefined): void {
  let document
  try {
    document = parse(query)
  } catch {
    return
  }
  if (getOperationAST(document, operationName) !== null) return
  const message = operationName === undefined ? 'Must provide operation name if query contains multiple operations.' : `Unknown operation named "${operationName}".`
  throw new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } })
}
