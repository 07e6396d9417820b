import { hostname } from 'node:os'
import {
  type GraphQLField, type GraphQLInputType, type GraphQLNamedType, type GraphQLOutputType, getNamedType, getNullableType,
  isInputObjectType, isLeafType, isListType, isNonNullType, isObjectType
} from 'graphql'
import { SignJWT } from 'jose'
import { ROOT } from './environment.js'

// What test/hostile-input.test.ts needs to judge an answer to a hostile request: the error codes
// of the contract, what must never reach a client (stack traces, SQL, hosts, paths), forged access
// tokens, and the places in a root field's arguments where text goes.

/** `extensions.code` values the contract allows (/work/shared/docs/api-contract.md, Conventions). */
export const CONTRACT_CODES: readonly string[] = [
  'BAD_USER_INPUT', 'NOT_FOUND', 'CONFLICT', 'UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED',
  'FEATURE_DISABLED', 'MAINTENANCE', 'SERVICE_UNAVAILABLE', 'QUERY_TOO_COMPLEX', 'INTERNAL_SERVER_ERROR'
]

/** Codes that say the server failed, not the request: a hostile request must never cause them. */
const SERVER_FAILURES: readonly string[] = ['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE']

function hostsOf (url: string | undefined): string[] {
  if (url === undefined || url === '') return []
  try {
    return [new URL(url).hostname]
  } catch {
    return []
  }
}

/** What must never appear in a response to a client, with why. */
const LEAKS: ReadonlyArray<[string, RegExp]> = [
  ['a stack frame', /\s{4}at \S|\bat [^\s()]+ \([^)]*:\d+:\d+\)|\.(?:[cm]?js|ts|tsx):\d/],
  ['a module path', /node_modules|file:\/\/|\/src\/|\/dist\//],
  ['SQL', /\bselect\b[\s\S]{0,200}?\bfrom\b|\binsert\s+into\b|\bdelete\s+from\b|\bupdate\s+"?\w+"?\s+set\b|\breturning\s+\*/i],
  ['a PostgreSQL message', /syntax error at or near|relation "|column "|violates|duplicate key|invalid input syntax|invalid byte sequence|bind message|out of range for type|\bpg_\w+|\bPGlite\b|\bkysely\b/i],
  ['a constraint name', /\b[a-z]+(?:_[a-z]+)*_(?:unique|fkey|pkey|fk|check|no_overlap|valid|paired)\b/],
  ['a driver error', /\b(?:ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EPIPE)\b/],
  ['a host name', new RegExp([
    'unused\\.invalid', 'localhost', '127\\.0\\.0\\.1',
    ...[hostname(), ...hostsOf(process.env.DATABASE_URL), ...hostsOf(process.env.REDIS_URL)]
      // Very short host names ("vm") would match inside tokens and cursors.
      .filter((host) => host.length >= 5).map((host) => host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  ].join('|'), 'i')],
  ['a path of this machine', new RegExp(ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))]
]

/** An answer, parsed once. */
export interface Reply {
  status: number
  text: string
  /** The parsed JSON body; undefined when the body is not JSON. */
  body: any
}

export function replyOf (response: { statusCode: number, body: string }): Reply {
  let body: unknown
  try {
    body = JSON.parse(response.body)
  } catch {
    body = undefined
  }
  return { status: response.statusCode, text: response.body, body }
}

/** The GraphQL errors of an answer (of every operation of a batch). */
export function errorsOf (reply: Reply): any[] {
  const results: any[] = Array.isArray(reply.body) ? reply.body : [reply.body]
  return results.flatMap((result) => Array.isArray(result?.errors) ? result.errors : [])
}

export function codesOf (reply: Reply): string[] {
  return errorsOf(reply).map((e) => String(e?.extensions?.code))
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The body without what the client itself sent (echoed back in a message or stored and read back). */
function withoutEchoes (text: string, sent: readonly string[]): string {
  let rest = text
  const forms = sent.filter((s) => s.length > 0)
    .flatMap((s) => [s, JSON.stringify(s).slice(1, -1), JSON.stringify(JSON.stringify(s)).slice(3, -3)])
    .sort((a, b) => b.length - a.length)
  for (const form of new Set(forms)) rest = rest.replace(new RegExp(escapeRegExp(form), 'gi'), '')
  return rest
}

/**
 * How an answer to a hostile request fails the contract: a 5xx, a body that is not JSON, an error
 * without a code of the contract or with a server-failure code.
 */
export function failuresOf (reply: Reply, alsoCodes: readonly string[] = []): string[] {
  const problems: string[] = []
  if (reply.status >= 500) problems.push(`HTTP ${reply.status}`)
  if (reply.body === undefined) problems.push(`a body that is not JSON: ${reply.text.slice(0, 120)}`)
  for (const error of errorsOf(reply)) {
    const code = error?.extensions?.code
    if (typeof code !== 'string' || (!CONTRACT_CODES.includes(code) && !alsoCodes.includes(code))) {
      problems.push(`an error without a code of the contract: ${JSON.stringify(error).slice(0, 200)}`)
    } else if (SERVER_FAILURES.includes(code)) {
      problems.push(`${code} (${String(error.message).slice(0, 120)})`)
    }
  }
  return problems
}

/** Anything internal in the body: stack frames, SQL, hosts, paths (what the client sent itself may come back). */
export function leaksOf (reply: Reply, sent: readonly string[] = []): string[] {
  const problems = new Set<string>()
  // The body as sent, and each string in it decoded (no JSON escapes in the way of the patterns).
  for (const text of [reply.text, ...stringsIn(reply.body)].map((text) => withoutEchoes(text, sent))) {
    for (const [what, pattern] of LEAKS) {
      const found = pattern.exec(text)
      if (found !== null) problems.add(`${what} in the body: …${text.slice(Math.max(0, found.index - 40), found.index + 60)}…`)
    }
  }
  return [...problems]
}

/** Every string inside a JSON value. */
export function stringsIn (value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(stringsIn)
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(stringsIn)
  return []
}

// ---- Access tokens, forged. ----

export interface Claims {
  sub: string
  org: string
  role: string
  /** The user's session epoch (0 for a user whose sessions were never ended). */
  sep?: number
}

const base64url = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** An HS256 token as the API issues them (issuer and audience `fleet-api`), valid for `expiresIn` seconds (negative: expired). */
export async function signedToken (secret: string, claims: Claims, options: { expiresIn?: number, issuer?: string, audience?: string, notBefore?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const { sub, ...rest } = claims
  let jwt = new SignJWT({ sep: 0, ...rest })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(options.issuer ?? 'fleet-api')
    .setAudience(options.audience ?? 'fleet-api')
    .setIssuedAt(now - Math.max(0, -(options.expiresIn ?? 0)) - 60)
    .setExpirationTime(now + (options.expiresIn ?? 600))
  if (options.notBefore !== undefined) jwt = jwt.setNotBefore(now + options.notBefore)
  return await jwt.sign(new TextEncoder().encode(secret))
}

/** An unsigned token (`alg: none`, or a variant spelling), claiming whatever it likes. */
export function unsignedToken (claims: Claims, alg = 'none'): string {
  const now = Math.floor(Date.now() / 1000)
  return `${base64url({ alg, typ: 'JWT' })}.${base64url({ sep: 0, ...claims, iss: 'fleet-api', aud: 'fleet-api', iat: now, exp: now + 600 })}.`
}

/** A real token whose payload was rewritten (claims merged in), keeping the original signature. */
export function tamperedToken (token: string, change: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.')
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
  return `${header}.${base64url({ ...claims, ...change })}.${signature}`
}

// ---- Where text goes in a root field's arguments. ----

export interface TextSlot {
  /** `['input', 'name']` */
  path: string[]
  /** The scalar: String or ID. */
  scalar: 'String' | 'ID'
  /** Whether every step from the argument down to this position is non-null. */
  required: boolean
}

function slotsIn (type: GraphQLInputType, path: string[], required: boolean, seen: ReadonlySet<string>): TextSlot[] {
  const here = required && isNonNullType(type)
  const nullable = getNullableType(type)
  const named = getNamedType(type)
  if (isListType(nullable)) return slotsIn(nullable.ofType, path, here, seen)
  if (named.name === 'String' || named.name === 'ID') return [{ path, scalar: named.name, required: here }]
  if (!isInputObjectType(named) || seen.has(named.name)) return []
  const inner = new Set(seen).add(named.name)
  return Object.values(named.getFields()).flatMap((f) => slotsIn(f.type, [...path, f.name], here, inner))
}

/** Every String and ID argument of a root field and every String and ID field of its input objects, at any depth. */
export function textSlots (field: GraphQLField<unknown, unknown>): TextSlot[] {
  return field.args.flatMap((arg) => slotsIn(arg.type, [arg.name], true, new Set()))
}

/** A field of an object type that can be selected without arguments and returns a scalar. */
export function plainLeaf (type: GraphQLOutputType, name: string | undefined): boolean {
  const named: GraphQLNamedType = getNamedType(type)
  if (name === undefined || !isObjectType(named)) return false
  const field = named.getFields()[name]
  return field !== undefined && isLeafType(getNamedType(field.type)) && field.args.every((a) => !isNonNullType(a.type))
}
