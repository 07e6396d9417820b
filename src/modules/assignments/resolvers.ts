import type { Resolvers } from '../../generated/graphql.js'
import { required } from '../../graphql/batching.js'
import { viewerOf } from '../../graphql/context.js'
import { type AppError, badInput, conflict, notFound } from '../../errors.js'
import { connectionResolvers } from '../../graphql/pagination.js'
import { id } from '../../graphql/validation.js'
import { write } from '../../graphql/writes.js'
import { lockDriver } from '../drivers/queries.js'
import { ownRows } from '../identity/scope.js'
import { lockVehicle } from '../vehicles/queries.js'
import { deleteAssignment, findAssignmentsByIds, insertAssignment, listAssignments, lockAssignment, setAssignmentEnd } from './queries.js'
import { ASSIGNMENT } from './loaders.js'
import { assignmentConstraints, assignmentRequest } from './validation.js'

/**
 * A later end that runs into the next assignment violates an overlap constraint. The global
 * mapping names `input.vehicleId`/`input.driverId`, arguments endAssignment does not have:
 * here the field at fault is `endsAt`.
 */
function overlapOfNewEnd (err: unknown): AppError | null {
  const { code, constraint } = err as { code?: unknown, constraint?: unknown }
  if (code !== '23P01' || typeof constraint !== 'string' || !Object.hasOwn(assignmentConstraints, constraint)) return null
  return conflict(assignmentConstraints[constraint as keyof typeof assignmentConstraints].message, 'endsAt')
}

export const assignmentResolvers: Resolvers = {
  Query: {
    assignment: async (_, args, ctx) => {
      const assignment = await ctx.loaders.assignments.byId.load(id(args.id, 'id'))
      const own = ownRows(ctx)
      return own !== null && assignment?.driver_id !== own.driverId ? null : assignment
    },
    assignments: async (_, { filter, ...page }, ctx) => await listAssignments(
      ctx.db,
      viewerOf(ctx).organizationId,
      {
        ofDriver: ownRows(ctx)?.driverId,
        vehicleId: filter?.vehicleId === undefined || filter.vehicleId === null ? undefined : id(filter.vehicleId, 'filter.vehicleId'),
        driverId: filter?.driverId === undefined || filter.driverId === null ? undefined : id(filter.driverId, 'filter.driverId'),
        activeAt: filter?.activeAt ?? undefined
      },
      page
    )
  },
  Mutation: {
    assignDriver: async (_, { input }, ctx) => {
      const viewer = viewerOf(ctx)
      const request = assignmentRequest(input, new Date())
      // Row locks keep the vehicle from being retired, and the driver from being changed, between
      // these checks and the insert. They are exclusive (vehicle first, then driver) so that two
      // assignments of one vehicle or one driver queue here: the later insert then meets the
      // committed row and the exclusion constraint answers 23P01 (CONFLICT). With share locks both
      // inserts ran at once, each waited for the other's uncommitted row, and PostgreSQL broke the
      // deadlock after deadlock_timeout with 40P01 (SERVICE_UNAVAILABLE) instead of CONFLICT.
      const assignment = await write(ctx, async (trx) => {
        const vehicle = await lockVehicle(trx, viewer.organizationId, request.vehicleId, 'update')
        if (vehicle === undefined) throw badInput('No such vehicle', 'input.vehicleId')
        if (vehicle.status === 'RETIRED') throw badInput('The vehicle is retired', 'input.vehicleId')
        const driver = await lockDriver(trx, viewer.organizationId, request.driverId)
        if (driver === undefined) throw badInput('No such driver', 'input.driverId')
        if (driver.status !== 'ACTIVE') throw badInput(`The driver is ${driver.status.toLowerCase().replace('_', ' ')}`, 'input.driverId')
        return await insertAssignment(trx, {
          organization_id: viewer.organizationId,
          vehicle_id: request.vehicleId,
          driver_id: request.driverId,
          starts_at: request.startsAt,
          ends_at: request.endsAt,
          notes: request.notes,
          created_by: viewer.userId
        })
      })
      ctx.loaders.assignments.currentByVehicle.clear(assignment.vehicle_id)
      ctx.loaders.assignments.currentByDriver.clear(assignment.driver_id)
      return assignment
    },
    endAssignment: async (_, args, ctx) => {
      const assignmentId = id(args.id, 'id')
      const { organizationId } = viewerOf(ctx)
      const now = new Date()
      const endsAt = args.endsAt ?? now
      const assignment = await write(ctx, async (trx) => {
        // Same lock order as assignDriver (vehicle, driver, then the assignment): moving an end
        // while someone assigns the same vehicle or driver queues instead of deadlocking.
        const [found] = await findAssignmentsByIds(trx, organizationId, [assignmentId])
        if (found === undefined) throw notFound('Assignment', assignmentId)
        await lockVehicle(trx, organizationId, found.vehicle_id, 'update')
        await lockDriver(trx, organizationId, found.driver_id)
        const current = await lockAssignment(trx, organizationId, assignmentId)
        if (current === undefined) throw notFound('Assignment', assignmentId)
        if (current.ends_at !== null && current.ends_at.getTime() <= now.getTime()) throw conflict('The assignment has already ended', 'id')
        if (endsAt.getTime() <= current.starts_at.getTime()) {
          throw badInput('endsAt must be after the start of the assignment (use cancelAssignment for one that has not started)', 'endsAt')
        }
        return await setAssignmentEnd(trx, assignmentId, endsAt).catch((err: unknown) => { throw overlapOfNewEnd(err) ?? err })
      })
      await ctx.cache.invalidate(ASSIGNMENT.entity, organizationId, [assignment.id])
      ctx.loaders.assignments.currentByVehicle.clear(assignment.vehicle_id)
      ctx.loaders.assignments.currentByDriver.clear(assignment.driver_id)
      ctx.loaders.assignments.byId.clear(assignment.id).prime(assignment.id, assignment)
      return assignment
    },
    cancelAssignment: async (_, args, ctx) => {
      const assignmentId = id(args.id, 'id')
      const { organizationId } = viewerOf(ctx)
      await write(ctx, async (trx) => {
        const current = await lockAssignment(trx, organizationId, assignmentId)
        if (current === undefined) throw notFound('Assignment', assignmentId)
        if (current.starts_at.getTime() <= Date.now()) throw conflict('The assignment has started; end it with endAssignment instead', 'id')
        await deleteAssignment(trx, assignmentId)
      })
      await ctx.cache.invalidate(ASSIGNMENT.entity, organizationId, [assignmentId])
      ctx.loaders.assignments.byId.clear(assignmentId)
      return true
    }
  },
  VehicleAssignment: {
    vehicle: async (a, _, ctx) => await required(ctx.loaders.vehicles.byId, a.vehicle_id, `Vehicle of assignment ${a.id}`),
    driver: async (a, _, ctx) => await required(ctx.loaders.drivers.byId, a.driver_id, `Driver of assignment ${a.id}`),
    startsAt: (a) => a.starts_at,
    endsAt: (a) => a.ends_at,
    isCurrent: (a) => a.starts_at.getTime() <= Date.now() && (a.ends_at === null || a.ends_at.getTime() > Date.now()),
    createdAt: (a) => a.created_at,
    updatedAt: (a) => a.updated_at
  },
  VehicleAssignmentConnection: connectionResolvers
}
