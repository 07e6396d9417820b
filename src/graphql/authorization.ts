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
    ['Mutation', schema.getMutationType()]
  ]
  const missing: string[] = []
  const wrapped: ResolverMap = { ...resolvers }
  for (const [rootName, rootType] of roots) {
    if (rootType === null || rootType === undefined) continue
    const rootResolvers = { ...(resolvers[rootName] ?? {}) }
    for (const fieldName of Object.keys(rootType.getFields())) {
      const access = matrix[rootName][fieldName]
      const resolve = rootResolvers[fieldName] as GraphQLFieldResolver<unknown, GraphQLContext> | undefined
      if (access === undefined) {
        missing.push(`${rootName}.${fieldName}`)
        continue
      }
      if (resolve === undefined) {
        missing.push(`${rootName}.${fieldName} (no resolver)`)
        continue
      }
      const key = `${rootName}.${fieldName}`
      rootResolvers[fieldName] = (parent: unknown, args: unknown, ctx: GraphQLContext, info: Parameters<GraphQLFieldResolver<unknown, GraphQLContext>>[3]) => {
        checkAccess(access, ctx)
        checkSwitches(key, ctx)
        return resolve(parent, args as Record<string, unknown>, ctx, info)
      }
    }
    wrapped[rootName] = rootResolvers
  }
  if (missing.length > 0) throw new Error(`Root fields without a permission entry or resolver: ${missing.join(', ')}`)
  return wrapped
}
