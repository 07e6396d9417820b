import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql'
import type { Access, RootType } from '../modules/identity/permissions.js'
import { ALLOWED_DURING_MAINTENANCE, FEATURE_OF_FIELD } from '../modules/operations/catalog.js'
import type { GraphQLContext } from './context.js'
import { AppError, forbidden, unauthenticated } from './errors.js'

type PermissionMatrix = Record<RootType, Record<string, Access>>
type ResolverMap = Record<string, Record<string, unknown>>

export function checkAccess (access: Access, ctx: GraphQLContext): void {
  if (access === 'public') return
  if (ctx.viewer === null) throw unauthenticated(ctx.authProblem ?? undefined)
  if (access === 'authenticated') return
  if (!access.includes(ctx.viewer.role)) throw forbidden()
}

/** Maintenance mode refuses writes; a feature switched off refuses its operations. */
export function checkSwitches (field: string, ctx: GraphQLContext): void {
  const organizationId = ctx.viewer?.organizationId ?? null
  if (field.startsWith('Mutation.') && !ALLOWED_DURING_MAINTENANCE.has(field)) {
    const maintenance = ctx.switches.maintenance(organizationId)
    if (maintenance.enabled) throw new AppError('MAINTENANCE', maintenance.message ?? 'Read-only maintenance: try again later')
  }
  const feature = FEATURE_OF_FIELD.get(field)
  if (feature !== undefined) {
    const flag = ctx.switches.flag(feature, organizationId)
    if (!flag.enabled) throw new AppError('FEATURE_DISABLED', `${flag.description} is switched off${flag.reason === null ? '' : `: ${flag.reason}`}`, { feature })
  }
}

/**
 * Wraps every root resolver with its access check. Fails at start-up when the schema has a root
 * field the matrix does not mention, so a new operation cannot ship unprotected.
 */
export function authorize (schema: GraphQLSchema, resolvers: ResolverMap, matrix: PermissionMatrix): ResolverMap {
  const roots: Array<[RootType, ReturnType<GraphQLSchema['getQueryType']>]> = [
    ['Query', schema.getQueryType()],
    ['Mutation', schema.getMutationType()],
    ['Subscription', schema.getSubscriptionType()]
  ]
  const missing: string[] = []
  const wrapped: ResolverMap = { ...resolvers }
  for (const [rootName, rootType] of roots) {
    if (rootType === null || rootType === undefined) continue
    const rootResolvers = { ...(resolvers[rootName] ?? {}) }
    for (const fieldName of Object.keys(rootType.getFields())) {
      const key = `${rootName}.${fieldName}`
      const access = (matrix[rootName] as Record<string, Access> | undefined)?.[fieldName]
      const resolver = rootResolvers[fieldName]
      if (access === undefined || resolver === undefined) {
        missing.push(access === undefined ? key : `${key} (no resolver)`)
        continue
      }
      const guard = (resolve: GraphQLFieldResolver<unknown, GraphQLContext>): GraphQLFieldResolver<unknown, GraphQLContext> =>
        (parent, args, ctx, info) => {
          checkAccess(access, ctx)
          checkSwitches(key, ctx)
          return resolve(parent, args, ctx, info)
        }
      // A subscription field is { subscribe, resolve }: the check goes on subscribe.
      rootResolvers[fieldName] = typeof resolver === 'function'
        ? guard(resolver as GraphQLFieldResolver<unknown, GraphQLContext>)
        : { ...(resolver as object), subscribe: guard((resolver as { subscribe: GraphQLFieldResolver<unknown, GraphQLContext> }).subscribe) }
    }
    wrapped[rootName] = rootResolvers
  }
  if (missing.length > 0) throw new Error(`Root fields without a permission entry or resolver: ${missing.join(', ')}`)
  return wrapped
}
