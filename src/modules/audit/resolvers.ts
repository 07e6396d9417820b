import type { Resolvers } from '../../generated/graphql.js'
import { viewerOf } from '../../graphql/context.js'
import { connectionResolvers } from '../../graphql/pagination.js'
import { distinct, id, listOf, text } from '../../graphql/validation.js'
import { auditChanges } from './changes.js'
import { listAuditLog } from './queries.js'

export const auditResolvers: Resolvers = {
  Query: {
    auditLog: async (_, { filter, ...page }, ctx) => await listAuditLog(ctx.db, viewerOf(ctx).organizationId, {
      entity: listOf(filter?.entity, 'filter.entity', 50, (entity, field) => text(entity, field, 64)),
      entityId: filter?.entityId === undefined || filter.entityId === null ? undefined : id(filter.entityId, 'filter.entityId'),
      actorId: filter?.actorId === undefined || filter.actorId === null ? undefined : id(filter.actorId, 'filter.actorId'),
      action: distinct(filter?.action),
      operation: filter?.operation === undefined || filter.operation === null ? undefined : text(filter.operation, 'filter.operation', 100),
      from: filter?.from ?? undefined,
      to: filter?.to ?? undefined
    }, page)
  },
  AuditEntry: {
    occurredAt: (entry) => entry.occurred_at,
    actor: async (entry, _, ctx) => entry.actor_id === null ? null : await ctx.loaders.users.byId.load(entry.actor_id),
    actorRole: (entry) => entry.actor_role,
    requestId: (entry) => entry.request_id,
    entityId: (entry) => entry.entity_id,
    changes: (entry) => auditChanges(entry.changes)
  },
  AuditEntryConnection: connectionResolvers
}
