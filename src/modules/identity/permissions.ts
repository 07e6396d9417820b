import type { Role } from '../../database/schema.js'

// The permission matrix: who may call each root field. One place, applied to the schema by
// src/graphql/authorization.ts, which refuses to start when a root field has no entry here
// (deny by default). The README's table is generated from this object.

export type Access = 'public' | 'authenticated' | readonly Role[]

const SIGNED_IN: Access = 'authenticated'
const ADMINS: Access = ['ADMIN']
const FLEET_MANAGERS: Access = ['ADMIN', 'FLEET_MANAGER']
const DISPATCHERS: Access = ['ADMIN', 'FLEET_MANAGER', 'DISPATCHER']

export const permissions = {
  Query: {
    me: 'public',
    vehicle: SIGNED_IN,
    vehicles: SIGNED_IN,
    driver: SIGNED_IN,
    drivers: SIGNED_IN,
    facility: SIGNED_IN,
    facilities: SIGNED_IN,
    assignment: SIGNED_IN,
    assignments: SIGNED_IN,
    fleetSummary: SIGNED_IN,
    featureFlags: ADMINS,
    maintenanceMode: SIGNED_IN
  },
  Mutation: {
    login: 'public',
    refreshSession: 'public',
    logout: 'public',
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
    reportClientError: 'public'
  },
  Subscription: {
    vehicleChanged: SIGNED_IN
  }
} satisfies Record<string, Record<string, Access>>

export type RootType = keyof typeof permissions
