import { defaultFieldResolver, type GraphQLFieldResolver, type GraphQLSchema, isObjectType } from 'graphql'
import { type Access, ALLOWED_BEFORE_PASSWORD_CHANGE, type PermissionMatrix, type RootType } from '../modules/identity/permissions.js'
import { TokenProblem } from '../modules/identity/tokens.js'
import { ALLOWED_DURING_MAINTENANCE } from '../modules/operations/catalog.js'
import { type GraphQLContext, noViewer } from './context.js'
import { AppError, forbidden } from '../errors.js'

type ResolverMap = Record<string, Record<string, unknown>>
type Resolver = GraphQLFieldResolver<unknown, GraphQLContext>

const ROOTS: readonly RootType[] = ['Query', 'Mutation', 'Subscription']
const isRoot = (field: string): boolean => ROOTS.some((root) => field.startsWith(`${root}.`))

/**
 * Whether the viewer may use `field` (`Type.field`); throws the error to answer with if not. A user
 * holding a temporary password may use only a few root fields until they change it.
 */
export function checkAccess (access: Access, ctx: GraphQLContext, field: string): void {
  if (access === 'public') return
  if (ctx.viewer === null) throw noViewer(ctx)
  if (ctx.viewer.mustChangePassword && isRoot(field) && !ALLOWED_BEFORE_PASSWORD_CHANGE.has(field)) {
    throw new AppError('FORBIDDEN', 'You signed in with a temporary password: set your own with changePassword first', { reason: 'PASSWORD_CHANGE_REQUIRED' })
  }
  if (access === 'authenticated') return
  if (!access.includes(ctx.viewer.role)) throw forbidden(`Your role (${ctx.viewer.role}) may not use ${field}`)
}

/** Maintenance mode refuses writes; a feature switched off refuses its operations. */
export function checkSwitches (field: string, ctx: GraphQLContext): void {
  const organizationId = ctx.viewer?.organizationId ?? null
  if (field.startsWith('Mutation.') && !ALLOWED_DURING_MAINTENANCE.has(field)) {
    const maintenance = ctx.switches.maintenance(organizationId)
    if (maintenance.enabled) throw new AppError('MAINTENANCE', maintenance.message ?? 'Read-only maintenance: try again later')
  }
  const feature = ctx.switches.featureOf(field)
  if (feature !== undefined) {
    const flag = ctx.switches.flag(feature, organizationId)
    if (!flag.enabled) throw new AppError('FEATURE_DISABLED', `${flag.description} is switched off${flag.reason === null ? '' : `: ${flag.reason}`}`, { feature })
  }
}

/** Looks the viewer up again (its role, whether it is still active and signed in). */
async function recheckViewer (ctx: GraphQLContext): Promise<void> {
  if (ctx.viewer === null) return
  try {
    ctx.viewer = await ctx.app.accessCheck.current(ctx.viewer)
  } catch (err) {
    if (!(err instanceof TokenProblem)) throw err
    ctx.viewer = null
    ctx.authProblem = err.message
  }
}

/**
 * The events of a subscription, checked one by one before anything else sees them (a module's
 * filter included). A subscription lives for hours: the viewer is looked up again for each event,
 * so a changed role applies from the next event on, and a viewer who lost access (deactivated,
 * sessions ended, role) ends the subscription with the error that says why.
 */
async function * checkedEvents (source: AsyncIterable<unknown>, ctx: GraphQLContext, access: Access, key: string): AsyncGenerator<unknown> {
  // Counted from here: the topic is subscribed (in Redis too), so events published now arrive.
  const open = ctx.app.instruments.subscriptionsOpen
  open.inc({ field: key })
  try {
    for await (const event of source) {
      await recheckViewer(ctx)
      checkAccess(access, ctx, key)
      yield event
    }
  } finally {
    open.dec({ field: key })
  }
}

/** The subscribe side of a subscription field: checked once, then its event source event by event. */
function guardSubscription (key: string, access: Access, subscribe: Resolver): Resolver {
  return async (parent, args, ctx, info) => {
    checkAccess(access, ctx, key)
    checkSwitches(key, ctx)
    const pubsub = new Proxy(ctx.pubsub, {
      get: (target, property) => property === 'subscribe'
        ? async (...topics: Parameters<typeof target.subscribe>) => checkedEvents(await target.subscribe(...topics), ctx, access, key)
        : Reflect.get(target, property)
    })
    return await subscribe(parent, args, Object.create(ctx, { pubsub: { value: pubsub } }) as GraphQLContext, info)
  }
}

function guardRoot (key: string, access: Access, resolve: Resolver, rootName: RootType, fieldName: string): Resolver {
  return (parent, args, ctx, info) => {
    checkAccess(access, ctx, key)
    checkSwitches(key, ctx)
    if (rootName === 'Mutation') ctx.field = fieldName
    return resolve(parent, args, ctx, info)
  }
}

/**
 * Wraps every root resolver, and every other field the matrix names, with its access check.
 * Fails at start-up when the schema has a root field the matrix does not mention (so a new
 * operation cannot ship unprotected) or the matrix names a field the schema does not have.
 */
export function authorize (schema: GraphQLSchema, resolvers: ResolverMap, matrix: PermissionMatrix): ResolverMap {
  const problems: string[] = []
  const wrapped: ResolverMap = { ...resolvers }
  for (const rootName of ROOTS) {
    const rootType = { Query: schema.getQueryType(), Mutation: schema.getMutationType(), Subscription: schema.getSubscriptionType() }[rootName]
    if (rootType === null || rootType === undefined) continue
    const rootResolvers = { ...(resolvers[rootName] ?? {}) }
    for (const fieldName of Object.keys(rootType.getFields())) {
      const key = `${rootName}.${fieldName}`
      const access = matrix[rootName]?.[fieldName]
      const resolver = rootResolvers[fieldName]
      if (access === undefined || resolver === undefined) {
        problems.push(access === undefined ? `${key} has no permission entry` : `${key} has no resolver`)
        continue
      }
      if (typeof resolver === 'function') {
        rootResolvers[fieldName] = guardRoot(key, access, resolver as Resolver, rootName, fieldName)
      } else {
        // A subscription field is { subscribe, resolve }: checked when subscribing and before each event.
        const field = resolver as { subscribe: Resolver, resolve?: Resolver }
        rootResolvers[fieldName] = { ...field, subscribe: guardSubscription(key, access, field.subscribe) }
      }
    }
    wrapped[rootName] = rootResolvers
  }
  for (const [typeName, fields] of Object.entries(matrix)) {
    if ((ROOTS as readonly string[]).includes(typeName)) continue
    const type = schema.getType(typeName)
    if (!isObjectType(type)) {
      problems.push(`the matrix names ${typeName}, which is not an object type of the schema`)
      continue
    }
    const typeResolvers = { ...(resolvers[typeName] ?? {}) }
    for (const [fieldName, access] of Object.entries(fields)) {
      const key = `${typeName}.${fieldName}`
      if (type.getFields()[fieldName] === undefined) {
        problems.push(`the matrix names ${key}, which the schema does not have`)
        continue
      }
      const resolve = (typeResolvers[fieldName] ?? defaultFieldResolver) as Resolver
      typeResolvers[fieldName] = (parent: unknown, args: Record<string, unknown>, ctx: GraphQLContext, info: Parameters<Resolver>[3]) => {
        checkAccess(access, ctx, key)
        return resolve(parent, args, ctx, info)
      }
    }
    wrapped[typeName] = typeResolvers
  }
  if (problems.length > 0) throw new Error(`The permission matrix does not match the schema: ${problems.join('; ')}`)
  return wrapped
}
