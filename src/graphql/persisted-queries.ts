import type { FastifyBaseLogger } from 'fastify'
import {
  type DocumentNode, type FragmentDefinitionNode, type GraphQLSchema, Kind, type OperationDefinitionNode, parse, print,
  specifiedRules, validate, type ValidationRule, visit
} from 'graphql'
import type { MercuriusPlugin, PersistedQueryProvider } from 'mercurius'
import type { CacheStore } from '../cache/store.js'
import { AppError, type ErrorCode } from '../errors.js'
import { APOLLO_MANIFEST_FORMAT, type PersistedQueryManifest, sha256Hex } from './persisted-query-manifest.js'

// Persisted queries, on Mercurius's persistedQueryProvider.
//
// Automatic persisted queries (APQ, Apollo's protocol): a client sends
// `extensions.persistedQuery { version: 1, sha256Hash }` without the query; on PERSISTED_QUERY_NOT_FOUND
// it sends query and hash together once, which registers the query, and the hash alone from then on
// (POST, or GET for queries). Registration stores the text under the SHA-256 Mercurius computes
// from it, after checking that it equals the client's hash: nobody can put a text under another
// text's hash. Only a text that passed the token limit, validation and the depth/cost/alias limits
// is registered (a refused one throws before Mercurius saves it); and every use of a hash runs the
// text through the same hooks again, so the limits apply to persisted queries exactly as to others.
//
// Where registrations live: an in-process LRU (bounded in characters), and with Redis the shared
// cache as well, under <CACHE_NAMESPACE>:apq:<sha256> for PERSISTED_QUERIES_TTL_SECONDS, so that a
// query registered through one replica is known to all. A Redis failure costs at most one
// PERSISTED_QUERY_NOT_FOUND (the client resends the query), never an error.
//
// Allow-list mode (PERSISTED_QUERIES_ONLY): only the manifest's operations run. A hash outside it, a
// query text that is not exactly one of its texts (before parsing) and APQ registration are refused
// with FORBIDDEN (HTTP 403, extensions.reason says which). Subscriptions over WebSocket send their
// text, which must be one of the manifest's too (Mercurius parses those first; they are refused
// before they start).

/** The APQ protocol's code, outside the API's own error codes: Apollo clients resend the query on it. */
export const PERSISTED_QUERY_NOT_FOUND = 'PERSISTED_QUERY_NOT_FOUND'
const NOT_FOUND_MESSAGE = 'PersistedQueryNotFound'
const NOT_SUPPORTED_MESSAGE = 'PersistedQueryNotSupported'

/** Longest text registered automatically; a longer one runs, it is just never remembered. */
export const MAX_REGISTERED_QUERY_LENGTH = 64 * 1024
/** Characters of registered query text kept in each process. */
const LOCAL_CACHE_CHARACTERS = 4 * 1024 * 1024

const SHA256_HEX = /^[0-9a-f]{64}$/

/** A least-recently-used map bounded by the total length of its values. */
export class TextLru {
  private readonly entries = new Map<string, string>()
  private size = 0

  constructor (private readonly maxCharacters: number) {}

  get (key: string): string | undefined {
    const value = this.entries.get(key)
    if (value !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, value)
    }
    return value
  }

  set (key: string, value: string): void {
    if (value.length > this.maxCharacters) return
    const previous = this.entries.get(key)
    if (previous !== undefined) {
      this.entries.delete(key)
      this.size -= previous.length
    }
    this.entries.set(key, value)
    this.size += value.length
    // Map iteration follows insertion order: the first key is the least recently used.
    for (const [oldest, text] of this.entries) {
      if (this.size <= this.maxCharacters) break
      this.entries.delete(oldest)
      this.size -= text.length
    }
  }

  get characters (): number {
    return this.size
  }
}

export interface PersistedQueriesOptions {
  /** Operations known by hash from the start (PERSISTED_QUERIES_FILE). */
  manifest: PersistedQueryManifest | undefined
  /** Allow-list mode: nothing but the manifest runs. */
  only: boolean
  /** How long an APQ registration lasts in the shared cache; 0 turns APQ registration off. */
  ttlSeconds: number
  /** The shared cache; used when it is Redis (the in-process store is this replica's alone anyway). */
  store: CacheStore
  namespace: string
  log: FastifyBaseLogger
  localCacheCharacters?: number
}

export interface PersistedQueries {
  provider: PersistedQueryProvider
  /** Adds the allow-list check (before parsing) to HTTP operations and subscriptions. */
  addHooks: (graphql: MercuriusPlugin) => void
  /** Throws FORBIDDEN unless `source` is exactly a manifest text (allow-list mode only). */
  checkAllowed: (source: string) => void
}

type QueryRequest = Parameters<PersistedQueryProvider['getHash']>[0]

function persistedQueryOf (request: QueryRequest): { version?: unknown, sha256Hash?: unknown } | undefined {
  const extension = (request.extensions as { persistedQuery?: unknown } | undefined)?.persistedQuery
  return typeof extension === 'object' && extension !== null ? extension : undefined
}

function notFound (): AppError {
  // A normal step of the protocol, on which older Apollo clients give up persisted queries
  // altogether when it comes with a 400 or 500: application/json answers it 200, as Apollo
  // Server does (error-formatter.ts), and application/graphql-response+json, whose responses
  // without data must be 4xx, 404.
  return new AppError(PERSISTED_QUERY_NOT_FOUND as ErrorCode, NOT_FOUND_MESSAGE, {}, 404)
}

function forbidden (message: string, reason: 'PERSISTED_QUERY_REQUIRED' | 'PERSISTED_QUERY_NOT_IN_LIST'): AppError {
  return new AppError('FORBIDDEN', message, { reason }, 403)
}

export function createPersistedQueries (options: PersistedQueriesOptions): PersistedQueries {
  const manifest: PersistedQueryManifest = options.manifest ?? new Map()
  const allowed = new Set([...manifest.values()].map((operation) => operation.body))
  const apq = !options.only && options.ttlSeconds > 0
  const local = new TextLru(options.localCacheCharacters ?? LOCAL_CACHE_CHARACTERS)
  const shared = options.store.kind === 'redis' ? options.store : null
  const keyOf = (hash: string) => `${options.namespace}:apq:${hash}`

  async function fromSharedCache (hash: string): Promise<string | undefined> {
    if (shared === null) return undefined
    try {
      const [text] = await shared.getMany([keyOf(hash)])
      // Checked again: whatever is in Redis, a hash only ever runs the text it is the hash of.
      if (typeof text === 'string' && sha256Hex(text) === hash) return text
    } catch (err) {
      options.log.debug({ err }, 'persisted query lookup failed; answered PERSISTED_QUERY_NOT_FOUND')
    }
    return undefined
  }

  const provider: PersistedQueryProvider = {
    isPersistedQuery: (request) => (request.query === undefined || request.query === '') && persistedQueryOf(request) !== undefined,
    isPersistedQueryRetry: (request) => typeof request.query === 'string' && request.query !== '' && persistedQueryOf(request) !== undefined,
    // A falsy hash answers PersistedQueryNotSupported (an unknown protocol version, or APQ off and
    // the hash not in the manifest): clients then stop sending hashes. Mercurius's types say string.
    getHash: (request) => {
      const { version, sha256Hash } = persistedQueryOf(request) ?? {}
      if (version !== 1 || typeof sha256Hash !== 'string') return false as unknown as string
      if (!apq && !options.only && !manifest.has(sha256Hash)) return false as unknown as string
      return sha256Hash
    },
    getQueryFromHash: async (hash) => {
      const listed = manifest.get(hash)
      if (listed !== undefined) return listed.body
      if (options.only) throw forbidden('This persisted query is not in the server\'s manifest; only its operations run here', 'PERSISTED_QUERY_NOT_IN_LIST')
      // Never a Redis key made of arbitrary client input.
      if (!SHA256_HEX.test(hash)) throw notFound()
      let text = local.get(hash)
      if (text === undefined) {
        text = await fromSharedCache(hash)
        if (text !== undefined) local.set(hash, text)
      }
      if (text === undefined) throw notFound()
      return text
    },
    // Mercurius refuses a retry whose hash differs from this one (400, "provided sha does not match query").
    getHashForQuery: sha256Hex,
    // Called after the retry executed, with the hash computed above: the text passed every check.
    saveQuery: async (hash, query) => {
      if (!apq || query.length > MAX_REGISTERED_QUERY_LENGTH || manifest.has(hash)) return
      local.set(hash, query)
      if (shared === null) return
      try {
        await shared.setMany([[keyOf(hash), query]], options.ttlSeconds)
      } catch (err) {
        options.log.debug({ err }, 'persisted query not shared (Redis failed); this replica keeps it')
      }
    },
    notFoundError: NOT_FOUND_MESSAGE,
    notSupportedError: NOT_SUPPORTED_MESSAGE,
    mismatchError: 'provided sha does not match query'
  }

  const checkAllowed = (source: string): void => {
    if (!options.only || allowed.has(source)) return
    throw forbidden(
      'Only the operations of the server\'s persisted-query manifest run here: send one of them, by its hash in extensions.persistedQuery.sha256Hash or with its exact text',
      'PERSISTED_QUERY_REQUIRED'
    )
  }

  return {
    provider,
    checkAllowed,
    addHooks: (graphql) => {
      if (!options.only) return
      graphql.addHook('preParsing', async (_schema, source) => { checkAllowed(source) })
      graphql.addHook('preSubscriptionParsing', async (_schema, source) => { checkAllowed(source) })
    }
  }
}

/**
 * Problems of manifest operations against the schema (a stale or foreign manifest): each must
 * parse and pass validation with the server's rules.
 */
export function validateManifest (schema: GraphQLSchema, manifest: PersistedQueryManifest, rules: readonly ValidationRule[] = []): string[] {
  const problems: string[] = []
  for (const [hash, { body, name }] of manifest) {
    const label = `operation ${name ?? hash.slice(0, 12)}`
    let document: DocumentNode
    try {
      document = parse(body)
    } catch (err) {
      problems.push(`${label}: ${(err as Error).message}`)
      continue
    }
    const errors = validate(schema, document, [...specifiedRules, ...rules])
    if (errors.length > 0) problems.push(`${label}: ${errors.map((e) => e.message).join(' ')}`)
  }
  return problems
}

export interface ApolloManifest {
  format: typeof APOLLO_MANIFEST_FORMAT
  version: 1
  operations: Array<{ id: string, name: string, type: OperationDefinitionNode['operation'], body: string }>
}

/** Names of the fragments an operation uses, directly or through other fragments. */
function fragmentsOf (operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): string[] {
  const used = new Set<string>()
  const pending: Array<OperationDefinitionNode | FragmentDefinitionNode> = [operation]
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    visit(node, {
      FragmentSpread (spread) {
        const name = spread.name.value
        if (used.has(name)) return
        used.add(name)
        const fragment = fragments.get(name)
        if (fragment !== undefined) pending.push(fragment)
      }
    })
  }
  return [...used].sort()
}

/**
 * A manifest in Apollo's format from GraphQL operation documents: one entry per named operation,
 * its body the operation and the fragments it uses (from any of the files), printed canonically.
 * Every operation is validated against the schema.
 */
export function buildManifest (files: ReadonlyArray<{ path: string, text: string }>, schema: GraphQLSchema): { manifest: ApolloManifest, problems: string[] } {
  const problems: string[] = []
  const operations = new Map<string, { node: OperationDefinitionNode, path: string }>()
  const fragments = new Map<string, FragmentDefinitionNode>()
  const fragmentFiles = new Map<string, string>()
  for (const { path, text } of files) {
    let document: DocumentNode
    try {
      document = parse(text)
    } catch (err) {
      problems.push(`${path}: ${(err as Error).message}`)
      continue
    }
    for (const definition of document.definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION) {
        const name = definition.name?.value
        if (name === undefined) {
          problems.push(`${path}: an operation has no name (persisted operations are known by name in logs and metrics)`)
        } else if (operations.has(name)) {
          problems.push(`${path}: operation ${name} is already defined in ${operations.get(name)?.path}`)
        } else {
          operations.set(name, { node: definition, path })
        }
      } else if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        const name = definition.name.value
        if (fragments.has(name)) {
          problems.push(`${path}: fragment ${name} is already defined in ${fragmentFiles.get(name)}`)
        } else {
          fragments.set(name, definition)
          fragmentFiles.set(name, path)
        }
      } else {
        problems.push(`${path}: only operations and fragments belong in operation documents, found ${definition.kind}`)
      }
    }
  }

  const manifest: ApolloManifest = { format: APOLLO_MANIFEST_FORMAT, version: 1, operations: [] }
  for (const [name, { node, path }] of [...operations].sort(([a], [b]) => a.localeCompare(b))) {
    const used = fragmentsOf(node, fragments).flatMap((fragment) => fragments.get(fragment) ?? [])
    const document: DocumentNode = { kind: Kind.DOCUMENT, definitions: [node, ...used] }
    const errors = validate(schema, document)
    if (errors.length > 0) {
      problems.push(`${path}: operation ${name}: ${errors.map((e) => e.message).join(' ')}`)
      continue
    }
    const body = print(document)
    manifest.operations.push({ id: sha256Hex(body), name, type: node.operation, body })
  }
  if (operations.size === 0 && problems.length === 0) problems.push('no operation found')
  return { manifest, problems }
}
