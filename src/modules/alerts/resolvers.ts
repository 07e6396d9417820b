import mercurius from 'mercurius'
import type { Resolvers } from '../../generated/graphql.js'
import { required } from '../../graphql/batching.js'
import { type GraphQLContext, viewerOf } from '../../graphql/context.js'
import { connectionResolvers } from '../../graphql/pagination.js'
import { distinct, id, listOf, period } from '../../graphql/validation.js'
import { write } from '../../graphql/writes.js'
import { alertsTopic } from './topics.js'
import { advanceAlert, listAlerts } from './queries.js'

const { withFilter } = mercurius

export const alertResolvers: Resolvers = {
  Query: {
    alerts: async (_, { filter, ...page }, ctx) => await listAlerts(ctx.db, viewerOf(ctx).organizationId, {
      status: distinct(filter?.status),
      kind: distinct(filter?.kind),
      severity: distinct(filter?.severity),
      vehicleIds: listOf(filter?.vehicleIds, 'filter.vehicleIds', 1000, id),
      ...period(filter?.from, filter?.to, 'filter.')
    }, page),
    alert: async (_, args, ctx) => await ctx.loaders.alerts.byId.load(id(args.id, 'id'))
  },
  Mutation: {
    acknowledgeAlert: async (_, args, ctx) => {
      const viewer = viewerOf(ctx)
      return await write(ctx, async (trx) => await advanceAlert(trx, viewer.organizationId, id(args.id, 'id'), 'ACKNOWLEDGED', viewer.userId))
    },
    resolveAlert: async (_, args, ctx) => {
      const viewer = viewerOf(ctx)
      return await write(ctx, async (trx) => await advanceAlert(trx, viewer.organizationId, id(args.id, 'id'), 'RESOLVED', viewer.userId))
    }
  },
  Alert: {
    vehicle: async (a, _, ctx) => a.vehicle_id === null ? null : await ctx.loaders.vehicles.byId.load(a.vehicle_id),
    geofence: async (a, _, ctx) => a.geofence_id === null ? null : await ctx.loaders.geofences.anyById.load(a.geofence_id),
    raisedAt: (a) => a.raised_at,
    acknowledgedAt: (a) => a.acknowledged_at,
    resolvedAt: (a) => a.resolved_at
  },
  AlertConnection: connectionResolvers,
  Subscription: {
    alertRaised: {
      subscribe: withFilter(
        async (_: unknown, __: unknown, ctx: GraphQLContext) => await ctx.pubsub.subscribe(alertsTopic(ctx.config.CACHE_NAMESPACE, viewerOf(ctx).organizationId)),
        () => true
      ),
      resolve: async (payload: { alertRaised: string }, _: unknown, ctx: GraphQLContext) => {
        ctx.loaders = ctx.newLoaders()
        return await required(ctx.loaders.alerts.byId, payload.alertRaised, 'Alert of an event')
      }
    }
  }
}
