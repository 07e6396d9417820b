import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql'
import type { Access, RootType } from '../modules/identity/permissions.js'
import type { GraphQLContext } from './context.js'
import { forbidden, unauthenticated } from './errors.js'

type PermissionMatrix = Record<RootType, Record<string, Access>>
type ResolverMap = Record<string, Record<string, unknown>>

export function checkAccess (access: Access, ctx: GraphQLContext): void {
  if (access === 'public') return
  if (ctx.viewer === null) throw unauthenticated(ctx.authProblem ?? undefined)
  if (access === 'authenticated') return
  if (!access.includes(ctx.viewer.role)) throw forbidden()
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
      rootResolvers[fieldName] = (parent: unknown, args: unknown, ctx: GraphQLContext, info: Parameters<GraphQLFieldResolver<unknown, GraphQLContext>>[3]) => {
        checkAccess(access, ctx)
        return resolve(parent, args as Record<string, unknown>, ctx, info)
      }
    }
    wrapped[rootName] = rootResolvers
  }
  if (missing.length > 0) throw new Error(`Root fields without a permission entry or resolver: ${missing.join(', ')}`)
  return wrapped
}
