import type { Resolvers } from '../../generated/graphql.js'
import { notFound } from '../../errors.js'
import { required } from '../../graphql/batching.js'
import { viewerOf } from '../../graphql/context.js'
import { connectionResolvers, type Page } from '../../graphql/pagination.js'
import { fromKilometers } from '../../graphql/units.js'
import { id } from '../../graphql/validation.js'
import { write } from '../../graphql/writes.js'
import { notDriversVehicle, ownRows } from '../identity/scope.js'
import { announceVehicleUpdates } from '../vehicles/events.js'
import { recordReadings, voidReading } from './readings.js'
import type { MeterReadingRow } from './tables.js'
import { manualReading, voidReason } from './validation.js'

// MeterReading.workOrder is the work-orders module's to resolve (resolver maps merge type by type).

const NO_READINGS: Page<MeterReadingRow> = { rows: [], cursor: () => '', hasNextPage: false, hasPreviousPage: false, totalCount: async () => 0 }

export const meterResolvers: Resolvers = {
  Mutation: {
    recordMeterReading: async (_, { input }, ctx) => {
      const viewer = viewerOf(ctx)
      const reading = manualReading(input, new Date())
      // A DRIVER reads the meters of the vehicle they drive now; another is not theirs to know of.
      const own = ownRows(ctx)
      if (own !== null && await own.vehicleId() !== reading.vehicleId) throw notFound('Vehicle', reading.vehicleId)
      const recorded = await write(ctx, async (trx) => await recordReadings(trx, viewer.organizationId, [{
        ...reading,
        source: 'MANUAL',
        recordedBy: viewer.userId,
        field: 'input.value',
        recordedAtField: 'input.recordedAt'
      }]))
      await announceVehicleUpdates(ctx, recorded.vehicles)
      return recorded.readings[0] as MeterReadingRow
    },
    voidMeterReading: async (_, args, ctx) => {
      const viewer = viewerOf(ctx)
      const readingId = id(args.id, 'id')
      const reason = voidReason(args.reason)
      const voided = await write(ctx, async (trx) => await voidReading(trx, viewer.organizationId, readingId, viewer.userId, reason))
      await announceVehicleUpdates(ctx, voided.vehicle === null ? [] : [voided.vehicle])
      return voided.reading
    }
  },
  Vehicle: {
    meterReadings: async (v, { kind, includeVoided, ...page }, ctx) => {
      // A DRIVER reaching a vehicle it does not drive now (through a past assignment) sees none.
      if (await notDriversVehicle(ctx, v.id)) return NO_READINGS
      return await ctx.loaders.meters.pageOf(v.id, { kind: kind ?? null, includeVoided: includeVoided ?? false }, page)
    }
  },
  MeterReading: {
    vehicle: async (r, _, ctx) => await required(ctx.loaders.vehicles.byId, r.vehicle_id, `Vehicle of meter reading ${r.id}`),
    value: (r, { unit }) => r.kind === 'ODOMETER' ? fromKilometers(r.value, unit) : Number(r.value),
    recordedAt: (r) => r.recorded_at,
    voidedAt: (r) => r.voided_at,
    voidReason: (r) => r.void_reason,
    createdAt: (r) => r.created_at
  },
  MeterReadingConnection: connectionResolvers
}
