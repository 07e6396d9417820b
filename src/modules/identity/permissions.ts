import type { Role } from '../../database/schema.js'

// The permission matrix: who may call each root field, and who may read the fields below the
// roots that lead to data some roles must not see. Each module declares its slice in its
// module.ts in the role groups below; src/modules/index.ts assembles them, and
// src/graphql/authorization.ts applies the whole to the schema, refusing to start when a root field
// has no entry (deny by default). The README's table is generated from it.
//
// Roles (see schema/identity.graphql): ADMIN (users, settings, flags, and everything fleet),
// FLEET_MANAGER (everything fleet), DISPATCHER (assignments; reads the fleet), MECHANIC (the
// maintenance side; reads vehicles and facilities, not people), DRIVER (their own profile,
// their own current vehicle and where it is now, not its history: the modules' `driverOwnRows`),
// VIEWER (reads everything a fleet manager can, writes nothing).

export type Access = 'public' | 'authenticated' | readonly Role[]

// Role groups, which the modules' slices of the matrix (their module.ts) are written in.
export const SIGNED_IN: Access = 'authenticated'
export const ADMINS: Access = ['ADMIN']
export const FLEET_MANAGERS: Access = ['ADMIN', 'FLEET_MANAGER']
export const DISPATCHERS: Access = ['ADMIN', 'FLEET_MANAGER', 'DISPATCHER']
/** The whole fleet's vehicles and places: everyone but drivers. */
export const FLEET_READERS: Access = ['ADMIN', 'FLEET_MANAGER', 'DISPATCHER', 'MECHANIC', 'VIEWER']
/** People and who drives what: not mechanics; drivers their own rows only. */
export const PEOPLE_READERS: Access = ['ADMIN', 'FLEET_MANAGER', 'DISPATCHER', 'VIEWER', 'DRIVER']
/** Histories that name other people: neither mechanics nor drivers. */
export const HISTORY_READERS: Access = ['ADMIN', 'FLEET_MANAGER', 'DISPATCHER', 'VIEWER']
/** Whoever sees a vehicle: the fleet's readers, and a DRIVER its own current one. */
export const VEHICLE_READERS: Access = ['ADMIN', 'FLEET_MANAGER', 'DISPATCHER', 'MECHANIC', 'VIEWER', 'DRIVER']
/** Who reads a vehicle's meters off its dashboard: managers, mechanics, a DRIVER its own vehicle's. */
export const METER_RECORDERS: Access = ['ADMIN', 'FLEET_MANAGER', 'MECHANIC', 'DRIVER']
/** Who handles alerts: dispatchers (speeding, geofences) and mechanics (the maintenance side). */
export const ALERT_HANDLERS: Access = ['ADMIN', 'FLEET_MANAGER', 'DISPATCHER', 'MECHANIC']

export type RootType = 'Query' | 'Mutation' | 'Subscription'
export type PermissionMatrix = Record<string, Record<string, Access>>

/** What a user who must change a temporary password may still do. */
export const ALLOWED_BEFORE_PASSWORD_CHANGE: ReadonlySet<string> = new Set([
  'Query.me', 'Query.maintenanceMode', 'Mutation.changePassword', 'Mutation.logout', 'Mutation.login', 'Mutation.refreshSession', 'Mutation.reportClientError'
])
