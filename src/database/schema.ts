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
  speed_limit_kmh: number | null
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

export interface DeviceTokensTable {
  id: Generated<string>
  organization_id: string
  vehicle_id: string
  /** SHA-256 of the secret, hex. */
  token_hash: string
  issued_at: ColumnType<Date, Date | string | undefined, Date | string>
  issued_by: string | null
}

/** What a tracker measures at a fix (positions and the latest fix of vehicle_telemetry alike). */
interface FixColumns {
  organization_id: string
  vehicle_id: string
  recorded_at: Timestamp
  latitude: number
  longitude: number
  speed_kmh: number | null
  heading: number | null
  altitude_m: number | null
  accuracy_m: number | null
  ignition: boolean | null
  battery_percent: number | null
}

/** One fix. Partitioned by day on recorded_at; primary key (vehicle_id, recorded_at). */
export interface PositionsTable extends FixColumns {
  received_at: ColumnType<Date, Date | string | undefined, never>
  odometer_km: number | null
  attributes: ColumnType<Record<string, unknown> | null, string | null, never>
}

/** The latest fix of a vehicle and the state ingestion carries between batches. */
export interface VehicleTelemetryTable extends FixColumns {
  received_at: Timestamp
  odometer_km: number
  /** What telemetry last wrote to vehicles.odometer_km (another value there is a person's correction). */
  vehicle_odometer_km: number
  last_moving_at: Timestamp | null
  trip_id: string | null
  speeding_since: Timestamp | null
  speeding_max_kmh: number | null
  speeding_alerted: boolean
  /** The latest fix's attributes, as stored with it in positions. */
  attributes: ColumnType<Record<string, unknown> | null, string | null, string | null>
}

export interface TripsTable {
  id: string
  organization_id: string
  vehicle_id: string
  driver_id: string | null
  started_at: Timestamp
  /** null while the trip is in progress. */
  ended_at: Timestamp | null
  last_fix_at: Timestamp
  start_latitude: number
  start_longitude: number
  end_latitude: number
  end_longitude: number
  start_odometer_km: number
  distance_km: number
  moving_seconds: number
  idle_seconds: number
  max_speed_kmh: number
  position_count: number
}

export type GeofenceShape = 'CIRCLE' | 'POLYGON'

export interface GeofencesTable extends TenantRow {
  facility_id: string | null
  name: string
  shape: GeofenceShape
  center_latitude: number | null
  center_longitude: number | null
  radius_m: number | null
  /** [[latitude, longitude], ...], the ring's vertices in order (closing vertex implied). */
  polygon: ColumnType<Array<[number, number]> | null, string | null, string | null>
  min_latitude: number
  max_latitude: number
  min_longitude: number
  max_longitude: number
  dwell_seconds: number
  margin_m: number
  speed_limit_kmh: number | null
  alert_on_enter: boolean
  alert_on_exit: boolean
  deleted_at: Timestamp | null
}

export interface VehicleGeofenceStatesTable {
  vehicle_id: string
  geofence_id: string
  organization_id: string
  inside: boolean
  pending_since: Timestamp | null
  pending_latitude: number | null
  pending_longitude: number | null
}

export type GeofenceEventKind = 'ENTER' | 'EXIT'

export interface GeofenceEventsTable {
  id: string
  organization_id: string
  geofence_id: string
  vehicle_id: string
  kind: GeofenceEventKind
  /** When the vehicle crossed (the first fix on the new side). */
  occurred_at: Timestamp
  /** When the crossing was confirmed (dwell time and margin satisfied). */
  confirmed_at: Timestamp
  latitude: number
  longitude: number
}

export type AlertKind = 'SPEEDING' | 'GEOFENCE_ENTER' | 'GEOFENCE_EXIT'
export type AlertSeverity = 'INFO' | 'WARNING' | 'CRITICAL'
export type AlertStatus = 'OPEN' | 'ACKNOWLEDGED' | 'RESOLVED'

export interface AlertsTable {
  id: string
  organization_id: string
  vehicle_id: string | null
  geofence_id: string | null
  kind: AlertKind
  severity: AlertSeverity
  status: Generated<AlertStatus>
  message: string
  details: ColumnType<Record<string, unknown>, string | undefined, string>
  raised_at: Timestamp
  acknowledged_at: Timestamp | null
  acknowledged_by: string | null
  resolved_at: Timestamp | null
  resolved_by: string | null
  created_at: CreatedAt
  updated_at: UpdatedAt
  version: Version
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
  device_tokens: DeviceTokensTable
  positions: PositionsTable
  vehicle_telemetry: VehicleTelemetryTable
  trips: TripsTable
  geofences: GeofencesTable
  vehicle_geofence_states: VehicleGeofenceStatesTable
  geofence_events: GeofenceEventsTable
  alerts: AlertsTable
}

export type OrganizationRow = Selectable<OrganizationsTable>
export type UserRow = Selectable<UsersTable>
export type RefreshTokenRow = Selectable<RefreshTokensTable>
export type FacilityRow = Selectable<FacilitiesTable>
export type VehicleRow = Selectable<VehiclesTable>
export type DriverRow = Selectable<DriversTable>
export type VehicleAssignmentRow = Selectable<VehicleAssignmentsTable>

export type PositionRow = Selectable<PositionsTable>
export type TelemetryRow = Selectable<VehicleTelemetryTable>
export type TripRow = Selectable<TripsTable>
export type GeofenceRow = Selectable<GeofencesTable>
export type GeofenceStateRow = Selectable<VehicleGeofenceStatesTable>
export type GeofenceEventRow = Selectable<GeofenceEventsTable>
export type AlertRow = Selectable<AlertsTable>
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
