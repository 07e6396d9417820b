import type { Kysely } from 'kysely'
import type { Database, OrganizationRow } from '../../database/schema.js'
import { byIdLoader } from '../../graphql/batching.js'
import { type GraphQLContext, viewerOf } from '../../graphql/context.js'
import { findOrganizationsByIds } from './queries.js'

// Not tenant-scoped: an Organization is only reachable through the viewer's own User.
export function organizationLoaders (db: Kysely<Database>) {
  return {
    byId: byIdLoader((ids) => findOrganizationsByIds(db, ids))
  }
}

/** The caller's organization (settings such as the VIN rule apply to its writes). */
export async function viewerOrganization (ctx: GraphQLContext): Promise<OrganizationRow> {
  const { organizationId } = viewerOf(ctx)
  const org = await ctx.loaders.organizations.byId.load(organizationId)
  if (org === null) throw new Error(`Organization ${organizationId} of the viewer is missing`)
  return org
}
