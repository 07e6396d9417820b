import { randomUUID } from 'node:crypto'
import websocket from '@fastify/websocket'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import { GraphQLError, Kind, Location, NoSchemaIntrospectionCustomRule, type OperationDefinitionNode, specifiedRules, validate } from 'graphql'
import mercurius, { type IResolvers, type MercuriusContext } from 'mercurius'
import { type Config, ConfigError } from '../config.js'
import { authorize } from '../graphql/authorization.js'
import { type GraphQLContext, noViewer } from '../graphql/context.js'
import { createErrorFormatter } from '../graphql/error-formatter.js'
import { AppError } from '../errors.js'
import { checkComplexity, checkTokens } from '../graphql/limits.js'
import { checkBodyParameters, checkOperationChosen, checkQueryStringParameters, GRAPHQL_RESPONSE, LEGACY_JSON, responseMediaType, type ResponseMediaType, SUPPORTED } from '../graphql/over-http.js'
import { createPersistedQueries, validateManifest } from '../graphql/persisted-queries.js'
import { DateTime, JSONValue } from '../graphql/scalars.js'
import { loadSchema, schemaFileProblems } from '../graphql/schema.js'
import { chooseSubprotocol, guardTransportWs } from '../graphql/transport-ws.js'
import { constraintMeanings, createLoaders, moduleResolvers, modules, permissions } from '../modules/index.js'
import { bindLog } from './request-context.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The media type a /graphql response goes out in, from the Accept header. */
    responseMediaType: ResponseMediaType
  }
}

export interface GraphQLPluginOptions {
  config: Config
}

type ResolverMap = Record<string, Record<string, unknown>>

/** Merges the modules' resolver maps type by type. */
function mergeResolvers (maps: readonly object[]): ResolverMap {
  const merged: ResolverMap = {}
  for (const map of maps as ResolverMap[]) {
    for (const [type, fields] of Object.entries(map)) merged[type] = { ...merged[type], ...fields }
  }
  return merged
}

export const graphqlPlugin = fp(async (app: FastifyInstance, { config }: GraphQLPluginOptions) => {
  const unowned = schemaFileProblems(modules.map((m) => m.name))
  if (unowned.length > 0) throw new Error(unowned.join('; '))
  const { schema } = loadSchema()
  const limits = { maxTokens: config.MAX_QUERY_TOKENS, maxDepth: config.MAX_QUERY_DEPTH, maxCost: config.MAX_QUERY_COST, maxAliases: config.MAX_QUERY_ALIASES }
  const resolvers = authorize(schema, mergeResolvers(moduleResolvers), permissions)
  // Every subscription field has a series from the start (0), so dashboards show "none open" as 0.
  for (const field of Object.keys(schema.getSubscriptionType()?.getFields() ?? {})) app.instruments.subscriptionsOpen.set({ field: `Subscription.${field}` }, 0)
  const validationRules = config.INTROSPECTION ? [] : [NoSchemaIntrospectionCustomRule]
  // Automatic persisted queries and the manifest's (src/graphql/persisted-queries.ts).
  const manifestProblems = config.PERSISTED_QUERIES === undefined ? [] : validateManifest(schema, config.PERSISTED_QUERIES, validationRules)
  if (manifestProblems.length > 0) throw new ConfigError(manifestProblems.map((problem) => `PERSISTED_QUERIES_FILE: ${problem}`))
  const persisted = createPersistedQueries({ manifest: config.PERSISTED_QUERIES, only: config.PERSISTED_QUERIES_ONLY, ttlSeconds: config.PERSISTED_QUERIES_TTL_SECONDS, store: app.cache, namespace: config.CACHE_NAMESPACE, log: app.log })

  // graphql-transport-ws exactly (src/graphql/transport-ws.ts): Mercurius's WebSocket handler
  // gets the socket through the protocol's guard. This hook must run before @fastify/websocket's,
  // which takes the handler over when Mercurius adds its route.
  app.addHook('onRoute', (route) => {
    const handler = route.wsHandler
    if (route.url !== '/graphql' || handler === undefined) return
    route.wsHandler = function (socket, request) {
      const guarded = guardTransportWs(socket)
      if (guarded !== null) return handler.call(this, guarded, request)
    }
  })
  // Registered here, not by Mercurius, for the subprotocol negotiation (chooseSubprotocol). A
  // message may be as large as a request body.
  await app.register(websocket, { options: { maxPayload: config.BODY_LIMIT_BYTES, handleProtocols: chooseSubprotocol } })

  await app.register(mercurius, {
    schema,
    resolvers: { ...resolvers, DateTime, JSON: JSONValue } as unknown as IResolvers,
    path: '/graphql',
    graphiql: false,
    jit: 1,
    allowBatchedQueries: true,
    persistedQueryProvider: persisted.provider,
    validationRules,
    errorFormatter: createErrorFormatter({
      constraints: constraintMeanings,
      mask: config.NODE_ENV === 'production',
      onError: (code) => { app.instruments.graphqlErrors.inc({ code }) },
      onPoolExhausted: () => { app.instruments.poolExhausted.inc() },
      onDatabaseUnreachable: (kind) => { app.instruments.recordDatabaseFailure(kind) },
      onUnexpected: (err, ctx) => {
        const { viewer, operation, requestId } = ctx as Partial<GraphQLContext>
        app.telemetry.exception(err, { requestId, operation: operation?.name, userId: viewer?.userId, organizationId: viewer?.organizationId })
      },
      // Subscription events have no reply (and no status).
      mediaTypeOf: (ctx) => (ctx.reply as FastifyReply | undefined)?.request.responseMediaType ?? LEGACY_JSON
    }),
    context: (request) => contextFor({ id: request.id, log: request.log, ip: request.ip }, request),
    subscription: {
      emitter: app.events,
      // Before connection_init: no viewer. onConnect replaces the context with the viewer's.
      context: (_socket, request) => contextFor({ id: request.id, log: request.log, ip: request.ip }, { viewer: null, authProblem: 'Send { "authorization": "Bearer <accessToken>" } in connection_init', authError: null }),
      onConnect: async ({ payload }: { payload?: { authorization?: unknown } }) => {
        const header = typeof payload?.authorization === 'string' ? payload.authorization : ''
        const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1]
        if (token === undefined) return false
        try {
          const viewer = await app.accessCheck.viewerOf(token)
          return contextFor({ id: randomUUID(), ip: '', log: app.log.child({ userId: viewer.userId, organizationId: viewer.organizationId, transport: 'websocket' }) }, { viewer, authProblem: null, authError: null })
        } catch {
          return false
        }
      }
    }
  })

  /** The per-request context: HTTP requests and subscription connections alike. */
  function contextFor (request: { id: string, log: FastifyBaseLogger, ip: string }, auth: Pick<GraphQLContext, 'viewer' | 'authProblem' | 'authError'>): Omit<GraphQLContext, keyof MercuriusContext> {
    const { viewer, authProblem, authError } = auth
    const organizationId = (): string => {
      if (viewer === null) throw noViewer(auth)
      return viewer.organizationId
    }
    // Shared by reference with the loaders: preExecution points it at the replica for queries.
    const route = { db: app.db }
    const newLoaders = () => createLoaders({ db: () => route.db, organizationId, cache: app.entityCache })
    return {
      requestId: request.id,
      ip: request.ip,
      log: request.log,
      config,
      viewer,
      authProblem,
      authError,
      db: app.db,
      route,
      cache: app.entityCache,
      switches: app.switches,
      loaders: newLoaders(),
      newLoaders
    }
  }

  // PERSISTED_QUERIES_ONLY: a text outside the manifest is refused before anything else.
  persisted.addHooks(app.graphql)
  // Subscriptions get the same limits. Mercurius has parsed a subscription before its first hook
  // and does not pass its variables: a page size given by a variable counts as the largest.
  app.graphql.addHook('preSubscriptionParsing', async (_schema, source) => { checkTokens(source, limits.maxTokens) })
  // Mercurius does not validate subscriptions. (Their documents are text: the protocol's guard
  // closes the socket on a query that is not, which Mercurius would take as a syntax tree and
  // run past the hooks on text, the allow-list and the token limit.)
  app.graphql.addHook('preSubscriptionExecution', async (schema, document) => {
    const invalid = validate(schema, document, [...specifiedRules, ...validationRules])
    if (invalid.length > 0) throw new AppError('BAD_USER_INPUT', invalid.map((error) => error.message).join('; '), {}, 400)
    checkComplexity(schema, document, null, limits)
  })
  // Too many tokens is refused before the parser sees the document.
  app.graphql.addHook('preParsing', async (_schema, source) => { checkTokens(source, limits.maxTokens) })
  // Mercurius looks a GET request's operation up to refuse mutations, past its cache of parsed
  // documents and before the hooks on them, and fails (500) when the document has none to run by
  // that name: a GET document is parsed once more here (few come by GET) and refused as over POST.
  app.graphql.addHook('preParsing', async (_schema, source, context) => {
    const { method, query } = context.reply.request
    if (method === 'GET') checkOperationChosen(source, (query as { operationName?: string }).operationName)
  })
  // A batch (JSON array of operations) is bounded too.
  app.addHook('preHandler', async (request) => {
    if (request.routeOptions.url === '/graphql' && Array.isArray(request.body) && request.body.length > config.MAX_BATCHED_OPERATIONS) {
      throw new AppError('QUERY_TOO_COMPLEX', `A batch may hold at most ${config.MAX_BATCHED_OPERATIONS} operations, got ${request.body.length}`, { limit: config.MAX_BATCHED_OPERATIONS }, 400)
    }
  })

  // GraphQL over HTTP (src/graphql/over-http.ts): the response's media type from Accept, the
  // request's parameters checked before Mercurius's schema (which refuses null and coerces types).
  app.decorateRequest('responseMediaType', LEGACY_JSON)
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url !== '/graphql') return
    const type = responseMediaType(request.headers.accept)
    if (type === null) throw new AppError('BAD_USER_INPUT', `Not acceptable: /graphql answers ${SUPPORTED}`, {}, 406)
    request.responseMediaType = type
  })
  app.addHook('preValidation', async (request) => {
    if (request.routeOptions.url !== '/graphql') return
    if (request.method !== 'POST') checkQueryStringParameters(request.query as Record<string, unknown>)
    else for (const operation of Array.isArray(request.body) ? request.body : [request.body]) checkBodyParameters(operation)
  })
  app.addHook('onSend', async (request, reply) => {
    if (request.routeOptions.url !== '/graphql') return
    const vary = reply.getHeader('vary')
    reply.header('vary', vary === undefined ? 'Accept' : `${String(vary)}, Accept`)
    if (request.responseMediaType === GRAPHQL_RESPONSE && String(reply.getHeader('content-type')).startsWith(LEGACY_JSON)) {
      reply.header('content-type', `${GRAPHQL_RESPONSE}; charset=utf-8`)
    }
  })

  // Mercurius takes a query text that does not parse but is JSON for a ready-made syntax tree,
  // which graphql-js then trusts: only documents parsed from text go on, the rest is what it is,
  // a document that does not parse.
  app.graphql.addHook('preValidation', async (_schema, document) => {
    if (!(document?.loc instanceof Location)) throw new GraphQLError('Syntax Error: query must be a GraphQL document, as text (not JSON)', { extensions: { code: 'BAD_USER_INPUT' } })
  })
  // Operation name and type: on the request's log lines and in the duration histogram.
  app.graphql.addHook('preExecution', async (schema, document, context, variables) => {
    const ctx = context as GraphQLContext
    const body = ctx.reply.request.body as { operationName?: unknown } | undefined
    const query = ctx.reply.request.query as { operationName?: unknown } | undefined
    const requested = body?.operationName ?? query?.operationName
    const operation = document.definitions.find((d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (typeof requested !== 'string' || d.name?.value === requested))
    // Depth, cost and aliases need the variables (page sizes), so they are checked here, after
    // validation and before anything executes (a validation rule with variables would disable
    // Mercurius's cache of parsed and validated documents).
    if (operation?.operation === 'subscription') {
      throw new GraphQLError('Subscriptions are served over WebSocket at /graphql (protocol graphql-transport-ws), not over HTTP', { extensions: { code: 'BAD_USER_INPUT' } })
    }
    checkComplexity(schema, document, variables ?? {}, limits)
    ctx.operation = { name: operation?.name?.value, type: operation?.operation ?? 'query', started: performance.now() }
    // Queries read from the replica when there is one; a mutation, and everything it reads
    // afterwards in this request, uses the primary.
    // The operations of a batch share their context and loaders: a batch reads from the primary,
    // so that a mutation in it never reads through loaders another operation pointed at the replica.
    if (ctx.operation.type !== 'mutation' && !Array.isArray(ctx.reply.request.body)) ctx.db = ctx.route.db = app.readDb
    ctx.reply.request.stats.operation = ctx.operation.name ?? 'anonymous'
    bindLog(ctx.reply.request, { operation: ctx.operation.name ?? 'anonymous', operationType: ctx.operation.type }, ctx.reply)
  })
  app.graphql.addHook('onResolution', async (_execution, context) => {
    const { operation } = context as GraphQLContext
    if (operation !== undefined) app.instruments.observeOperation(operation.name, operation.type, (performance.now() - operation.started) / 1000)
  })
}, { name: 'graphql', dependencies: ['database', 'cache', 'events', 'auth', 'metrics', 'switches', 'telemetry'] })
