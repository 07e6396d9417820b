import type { EntityCodec } from '../../cache/entity-cache.js'
import type { OrganizationRow } from './tables.js'
import { byIdLoader, type LoaderScope } from '../../graphql/batching.js'
import { type GraphQLContext, viewerOf } from '../../graphql/context.js'
import { findOrganizationsByIds } from './queries.js'

export const ORGANIZATION: EntityCodec<OrganizationRow> = { entity: 'organizations', dates: ['created_at', 'updated_at'] }

// Not tenant-scoped: an Organization is only reachable through the viewer's own User. Each row
// is cached under its own id as the organization.
export function organizationLoaders (scope: LoaderScope) {
  return {
    byId: byIdLoader(async (ids) => (await Promise.all(ids.map(async (id) =>
      await scope.cache.load(ORGANIZATION, id, [id], async (missing) => await findOrganizationsByIds(scope.db(), missing))))).flat())
  }
}

/** The caller's organization (settings such as the VIN rule apply to its writes). */
export async function viewerOrganization (ctx: GraphQLContext): Promise<OrganizationRow> {
  const { organizationId } = viewerOf(ctx)
  const org = await ctx.loaders.organizations.byId.load(organizationId)
  if (org === null) throw new Error(`Organization ${organizationId} of the viewer is missing`)
  return org
}
