import type { Role } from '../../database/schema.js'

// The permission matrix: who may call each root field, and who may read the fields below the
// roots that lead to data some roles must not see. One place, applied to the schema by
// src/graphql/authorization.ts, which refuses to start when a root field has no entry here
// (deny by default). The README's table is generated from this file.
//
// Roles (see schema/identity.graphql): ADMIN (users, settings, flags, and everything fleet),
// FLEET_MANAGER (everything fleet), DISPATCHER (assignments; reads the fleet), MECHANIC (the
// maintenance side; reads vehicles and facilities, not people), DRIVER (their own profile,
// their own current vehicle and where it is now, not its history: see DRIVER_OWN_ROWS), VIEWER (reads everything a
// fleet manager can, writes nothing).

export type Access = 'public' | 'authenticated' | readonly Role[]

const SIGNED_IN: Access = 'authenticated'
const ADMINS: Access = ['ADMIN']
const FLEET_MANAGERS: Access = ['ADMIN', 'FLEET_MANAGER']
const DISPATCHERS: Access = ['ADMIN', 'FLEET_MANAGER', 'DISPATCHER']
/** The whole fleet's vehicles and places: everyone but drivers. */
const FLEET_READERS: Access = ['ADMIN', 'FLEET_MANAGER', 'DISPATCHER', 'MECHANIC', 'VIEWER']
/** People and who drives what: not mechanics; drivers their own rows only. */
const PEOPLE_READERS: Access = ['ADMIN', 'FLEET_MANAGER', 'DISPATCHER', 'VIEWER', 'DRIVER']
/** Histories that name other people: neither mechanics nor drivers. */
const HISTORY_READERS: Access = ['ADMIN', 'FLEET_MANAGER', 'DISPATCHER', 'VIEWER']
/** Who handles alerts: dispatchers (speeding, geofences) and mechanics (the maintenance side). */
const ALERT_HANDLERS: Access = ['ADMIN', 'FLEET_MANAGER', 'DISPATCHER', 'MECHANIC']

export const permissions = {
  Query: {
    me: 'public',
    user: ADMINS,
    users: ADMINS,
    auditLog: ADMINS,
    vehicle: SIGNED_IN,
    vehicles: SIGNED_IN,
    driver: PEOPLE_READERS,
    drivers: PEOPLE_READERS,
    facility: FLEET_READERS,
    facilities: FLEET_READERS,
    assignment: PEOPLE_READERS,
    assignments: PEOPLE_READERS,
    fleetSummary: FLEET_READERS,
    featureFlags: ADMINS,
    maintenanceMode: SIGNED_IN,
    fleetPositions: FLEET_READERS,
    trips: HISTORY_READERS,
    trip: HISTORY_READERS,
    geofences: FLEET_READERS,
    geofence: FLEET_READERS,
    geofenceEvents: HISTORY_READERS,
    alerts: FLEET_READERS,
    alert: FLEET_READERS
  },
  Mutation: {
    login: 'public',
    refreshSession: 'public',
    logout: 'public',
    changePassword: SIGNED_IN,
    createUser: ADMINS,
    updateUser: ADMINS,
    deactivateUser: ADMINS,
    reactivateUser: ADMINS,
    resetUserPassword: ADMINS,
    updateOrganizationSettings: ADMINS,
    createVehicle: FLEET_MANAGERS,
    updateVehicle: FLEET_MANAGERS,
    retireVehicle: FLEET_MANAGERS,
    createDriver: FLEET_MANAGERS,
    updateDriver: FLEET_MANAGERS,
    createFacility: FLEET_MANAGERS,
    updateFacility: FLEET_MANAGERS,
    assignDriver: DISPATCHERS,
    endAssignment: DISPATCHERS,
    cancelAssignment: DISPATCHERS,
    setFeatureFlag: ADMINS,
    setMaintenanceMode: ADMINS,
    reportClientError: 'public',
    recordPositions: FLEET_MANAGERS,
    issueDeviceToken: FLEET_MANAGERS,
    revokeDeviceToken: FLEET_MANAGERS,
    createGeofence: FLEET_MANAGERS,
    updateGeofence: FLEET_MANAGERS,
    deleteGeofence: FLEET_MANAGERS,
    acknowledgeAlert: ALERT_HANDLERS,
    resolveAlert: ALERT_HANDLERS
  },
  Subscription: {
    vehicleChanged: SIGNED_IN,
    vehiclePositionUpdated: SIGNED_IN,
    alertRaised: FLEET_READERS
  },
  Vehicle: {
    currentAssignment: PEOPLE_READERS,
    currentDriver: PEOPLE_READERS,
    assignments: HISTORY_READERS,
    // Where a vehicle has been is where its drivers have been, other drivers included: a history
    // that names people. Its latest position (lastPosition) is open to whoever sees the vehicle.
    positions: HISTORY_READERS,
    trips: HISTORY_READERS,
    stops: HISTORY_READERS
  },
  Facility: {
    vehicles: FLEET_READERS
  }
  // User: reached only as the viewer itself (me, sign-in payloads) or by admins (users, auditLog).
} satisfies Record<string, Record<string, Access>>

export type RootType = 'Query' | 'Mutation' | 'Subscription'
export type PermissionMatrix = Record<string, Record<string, Access>>

/**
 * Root fields where a DRIVER sees only their own rows: their driver record, their assignments and
 * the vehicle they are assigned to now (null or an empty list for anything else). The resolvers
 * apply it through `ownRows` (src/modules/identity/scope.ts); test/roles.test.ts proves it.
 */
export const DRIVER_OWN_ROWS: ReadonlySet<string> = new Set([
  'Query.vehicle', 'Query.vehicles', 'Query.driver', 'Query.drivers', 'Query.assignment', 'Query.assignments', 'Subscription.vehicleChanged',
  'Subscription.vehiclePositionUpdated'
])

/** What a user who must change a temporary password may still do. */
export const ALLOWED_BEFORE_PASSWORD_CHANGE: ReadonlySet<string> = new Set([
  'Query.me', 'Query.maintenanceMode', 'Mutation.changePassword', 'Mutation.logout', 'Mutation.login', 'Mutation.refreshSession', 'Mutation.reportClientError'
])
