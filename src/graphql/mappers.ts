import type { AlertRow, AuditLogRow, DriverRow, FacilityRow, GeofenceEventRow, GeofenceRow, TripRow, UserRow, VehicleAssignmentRow, VehicleRow } from '../database/schema.js'
import type { PositionPageRow } from '../modules/telematics/positions.js'
import type { StopRow } from '../modules/telematics/queries.js'
import type { Page } from './pagination.js'

// What resolvers of the GraphQL types named here receive as their parent (see codegen.ts).

export type VehiclePage = Page<VehicleRow>
export type DriverPage = Page<DriverRow>
export type FacilityPage = Page<FacilityRow>
export type VehicleAssignmentPage = Page<VehicleAssignmentRow>
export type UserPage = Page<UserRow>
export type AuditEntryPage = Page<AuditLogRow>
export type PositionPage = Page<PositionPageRow>
export type TripPage = Page<TripRow>
export type StopPage = Page<StopRow>
export type GeofencePage = Page<GeofenceRow>
export type GeofenceEventPage = Page<GeofenceEventRow>
export type AlertPage = Page<AlertRow>

/** FleetSummary's fields are computed on demand, each only when selected. */
export type FleetSummaryParent = Record<string, never>
