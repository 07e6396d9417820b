import type { AuditLogRow, DriverRow, FacilityRow, UserRow, VehicleAssignmentRow, VehicleRow } from '../database/schema.js'
import type { Page } from './pagination.js'

// What resolvers of the GraphQL types named here receive as their parent (see codegen.ts).

export type VehiclePage = Page<VehicleRow>
export type DriverPage = Page<DriverRow>
export type FacilityPage = Page<FacilityRow>
export type VehicleAssignmentPage = Page<VehicleAssignmentRow>
export type UserPage = Page<UserRow>
export type AuditEntryPage = Page<AuditLogRow>

/** FleetSummary's fields are computed on demand, each only when selected. */
export type FleetSummaryParent = Record<string, never>
