import { updateVersioned } from '../../database/optimistic.js'
import type { Resolvers } from '../../generated/graphql.js'
import { required } from '../../graphql/batching.js'
import { viewerOf } from '../../graphql/context.js'
import { notFound } from '../../errors.js'
import { connectionResolvers } from '../../graphql/pagination.js'
import { fromKilometers, fromKmh } from '../../graphql/units.js'
import { id, listOf, period } from '../../graphql/validation.js'
import { write } from '../../graphql/writes.js'
import { insertGeofence, listGeofenceEvents, listGeofences, softDeleteGeofence } from './queries.js'
import { geofencePatch, newGeofence } from './validation.js'

export const geofenceResolvers: Resolvers = {
  Query: {
    geofences: async (_, page, ctx) => await listGeofences(ctx.db, viewerOf(ctx).organizationId, page),
    geofence: async (_, args, ctx) => await ctx.loaders.geofences.byId.load(id(args.id, 'id')),
    geofenceEvents: async (_, { filter, ...page }, ctx) => await listGeofenceEvents(ctx.db, viewerOf(ctx).organizationId, {
      geofenceIds: listOf(filter?.geofenceIds, 'filter.geofenceIds', 1000, id),
      vehicleIds: listOf(filter?.vehicleIds, 'filter.vehicleIds', 1000, id),
      kind: filter?.kind ?? undefined,
      ...period(filter?.from, filter?.to, 'filter.')
    }, page)
  },
  Mutation: {
    createGeofence: async (_, { input }, ctx) => {
      const { organizationId } = viewerOf(ctx)
      const row = newGeofence(input, organizationId)
      const geofence = await write(ctx, async (trx) => await insertGeofence(trx, row))
      await ctx.app.telematics.geofences.changed(organizationId)
      return geofence
    },
    updateGeofence: async (_, args, ctx) => {
      const geofenceId = id(args.id, 'id')
      const { organizationId } = viewerOf(ctx)
      const current = await ctx.loaders.geofences.byId.load(geofenceId)
      if (current === null) throw notFound('Geofence', geofenceId)
      const patch = geofencePatch(args.input, current)
      const geofence = await write(ctx, async (trx) => await updateVersioned(trx, 'geofences', { organizationId, id: geofenceId }, args.input.expectedVersion, patch, 'Geofence'))
      await ctx.app.telematics.geofences.changed(organizationId)
      ctx.loaders.geofences.byId.clear(geofenceId).prime(geofenceId, geofence)
      return geofence
    },
    deleteGeofence: async (_, args, ctx) => {
      const geofenceId = id(args.id, 'id')
      const { organizationId } = viewerOf(ctx)
      const deleted = await write(ctx, async (trx) => await softDeleteGeofence(trx, organizationId, geofenceId))
      if (!deleted) throw notFound('Geofence', geofenceId)
      await ctx.app.telematics.geofences.changed(organizationId)
      ctx.loaders.geofences.byId.clear(geofenceId)
      return true
    }
  },
  Geofence: {
    center: (g) => g.center_latitude === null || g.center_longitude === null ? null : { latitude: g.center_latitude, longitude: g.center_longitude },
    radius: (g, { unit }) => g.radius_m === null ? null : fromKilometers(g.radius_m / 1000, unit, 4),
    polygon: (g) => g.polygon === null ? null : g.polygon.map(([latitude, longitude]) => ({ latitude, longitude })),
    facility: async (g, _, ctx) => g.facility_id === null ? null : await ctx.loaders.facilities.byId.load(g.facility_id),
    dwellTime: (g) => g.dwell_seconds,
    margin: (g) => g.margin_m,
    speedLimit: (g, { unit }) => g.speed_limit_kmh === null ? null : fromKmh(g.speed_limit_kmh, unit),
    alertOnEnter: (g) => g.alert_on_enter,
    alertOnExit: (g) => g.alert_on_exit,
    createdAt: (g) => g.created_at,
    updatedAt: (g) => g.updated_at
  },
  GeofenceConnection: connectionResolvers,
  GeofenceEvent: {
    geofence: async (e, _, ctx) => await required(ctx.loaders.geofences.anyById, e.geofence_id, `Geofence of event ${e.id}`),
    vehicle: async (e, _, ctx) => await required(ctx.loaders.vehicles.byId, e.vehicle_id, `Vehicle of event ${e.id}`),
    occurredAt: (e) => e.occurred_at,
    confirmedAt: (e) => e.confirmed_at
  },
  GeofenceEventConnection: connectionResolvers
}
