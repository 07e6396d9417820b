import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

// Row types of the tables created by db/migrations. Nullable columns are `T | null`;
// columns with database defaults are Generated. numeric columns arrive as decimal strings.

type Timestamp = ColumnType<Date, Date | string, Date | string>
type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type UpdatedAt = ColumnType<Date, never, never>
type Version = ColumnType<number, never, never>
/** numeric: read as a decimal string; written as a number or string; has a default. */
type Decimal = ColumnType<string, number | string | undefined, number | string>

interface Row {
  id: Generated<string>
  created_at: CreatedAt
  updated_at: UpdatedAt
  version: Version
}

interface TenantRow extends Row {
  organization_id: string
}

export type Role = 'ADMIN' | 'FLEET_MANAGER' | 'DISPATCHER' | 'MECHANIC' | 'DRIVER' | 'VIEWER'
export type VehicleStatus = 'ACTIVE' | 'IN_SHOP' | 'OUT_OF_SERVICE' | 'RETIRED'
export type VehicleType = 'CAR' | 'VAN' | 'PICKUP' | 'TRUCK' | 'BUS' | 'EQUIPMENT' | 'TRAILER' | 'OTHER'
export type FuelType = 'GASOLINE' | 'DIESEL' | 'ELECTRIC' | 'HYBRID' | 'CNG' | 'PROPANE' | 'HYDROGEN' | 'OTHER'
export type DriverStatus = 'ACTIVE' | 'ON_LEAVE' | 'SUSPENDED' | 'INACTIVE'
export type FacilityType = 'DEPOT' | 'YARD' | 'MAINTENANCE_SHOP' | 'OFFICE' | 'FUEL_STATION' | 'CUSTOMER_SITE' | 'OTHER'

export interface OrganizationsTable extends Row {
  slug: string
  name: string
  vin_check_digit_required: Generated<boolean>
}

export interface UsersTable extends TenantRow {
  email: string
  name: string
  role: Role
  password_hash: string
  is_active: Generated<boolean>
  last_login_at: Timestamp | null
  /** Carried in access tokens; raised to end every session of the user. */
  session_epoch: Generated<number>
  must_change_password: Generated<boolean>
  deactivated_at: Timestamp | null
  /** Single sign-on: the identity provider (issuer) and subject the user is linked to; both or neither. */
  oidc_issuer: string | null
  oidc_subject: string | null
}

export interface RefreshTokensTable extends TenantRow {
  user_id: string
  family_id: string
  token_hash: string
  expires_at: Timestamp
  used_at: Timestamp | null
  revoked_at: Timestamp | null
}

export interface FacilitiesTable extends TenantRow {
  code: string
  name: string
  type: FacilityType
  address: string | null
  latitude: number | null
  longitude: number | null
}

export interface VehiclesTable extends TenantRow {
  number: string
  name: string
  vin: string
  make: string
  model: string
  year: number
  license_plate: string | null
  type: VehicleType
  status: Generated<VehicleStatus>
  fuel_type: FuelType
  odometer_km: Decimal
  engine_hours: Decimal
  facility_id: string | null
  retired_at: Timestamp | null
}

export interface DriversTable extends TenantRow {
  user_id: string | null
  name: string
  email: string | null
  phone: string | null
  license_number: string
  license_class: string | null
  license_expires_at: Timestamp | null
  status: Generated<DriverStatus>
}

export interface VehicleAssignmentsTable extends TenantRow {
  vehicle_id: string
  driver_id: string
  starts_at: Timestamp
  ends_at: Timestamp | null
  notes: string | null
  created_by: string | null
}

export interface FeatureFlagsTable extends Row {
  organization_id: string | null
  name: string
  enabled: boolean
  reason: string | null
  updated_by: string | null
}

export interface MaintenanceModesTable extends Row {
  organization_id: string | null
  message: string
  enabled_by: string | null
}

export type AuditAction = 'CREATE' | 'UPDATE' | 'DELETE' | 'SIGN_IN' | 'SIGN_OUT' | 'SESSION_REVOKED'

/** Written by triggers (row changes) and by the application (session events); never updated. */
export interface AuditLogTable {
  /** bigint; selected as text (see src/modules/audit/queries.ts) so it is exact and cursor-ready. */
  id: ColumnType<string, never, never>
  organization_id: string | null
  occurred_at: ColumnType<Date, never, never>
  actor_id: string | null
  actor_role: Role | null
  operation: string | null
  request_id: string | null
  entity: string
  entity_id: string | null
  action: AuditAction
  /** Column name -> { before, after }, or { redacted: true } for secrets. */
  changes: ColumnType<Record<string, AuditChangeValue>, string | undefined, never>
  database_user: ColumnType<string, never, never>
}

export type AuditChangeValue = { before: unknown, after: unknown } | { redacted: true }

export interface Database {
  organizations: OrganizationsTable
  users: UsersTable
  refresh_tokens: RefreshTokensTable
  facilities: FacilitiesTable
  vehicles: VehiclesTable
  drivers: DriversTable
  vehicle_assignments: VehicleAssignmentsTable
  feature_flags: FeatureFlagsTable
  maintenance_modes: MaintenanceModesTable
  audit_log: AuditLogTable
}

export type OrganizationRow = Selectable<OrganizationsTable>
export type UserRow = Selectable<UsersTable>
export type RefreshTokenRow = Selectable<RefreshTokensTable>
export type FacilityRow = Selectable<FacilitiesTable>
export type VehicleRow = Selectable<VehiclesTable>
export type DriverRow = Selectable<DriversTable>
export type VehicleAssignmentRow = Selectable<VehicleAssignmentsTable>

export type AuditLogRow = Selectable<AuditLogTable>
export type FeatureFlagRow = Selectable<FeatureFlagsTable>
export type MaintenanceModeRow = Selectable<MaintenanceModesTable>

export type NewUser = Insertable<UsersTable>
export type NewVehicle = Insertable<VehiclesTable>
export type VehicleUpdate = Updateable<VehiclesTable>
export type NewDriver = Insertable<DriversTable>
export type DriverUpdate = Updateable<DriversTable>
export type NewFacility = Insertable<FacilitiesTable>
export type FacilityUpdate = Updateable<FacilitiesTable>
