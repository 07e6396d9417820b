import type { ColumnType, Generated } from 'kysely'

// The database as Kysely sees it. Each module declares its own tables in its tables.ts and merges
// them into `Database` (declaration merging), so a module's tables live in its folder; what is
// here is shared by all of them. Nullable columns are `T | null`; columns with database defaults
// are Generated; numeric columns arrive as decimal strings.

export type Timestamp = ColumnType<Date, Date | string, Date | string>
export type CreatedAt = ColumnType<Date, Date | string | undefined, never>
export type UpdatedAt = ColumnType<Date, never, never>
export type Version = ColumnType<number, never, never>
/** numeric: read as a decimal string; written as a number or string; has a default. */
export type Decimal = ColumnType<string, number | string | undefined, number | string>

/** Columns every mutable entity has: created_at, updated_at and version are kept by a trigger. */
export interface Row {
  id: Generated<string>
  created_at: CreatedAt
  updated_at: UpdatedAt
  version: Version
}

/** A row of one organization (tenant). */
export interface TenantRow extends Row {
  organization_id: string
}

/** What a user may do (schema/identity.graphql); sessions and the audit trail carry it. */
export type Role = 'ADMIN' | 'FLEET_MANAGER' | 'DISPATCHER' | 'MECHANIC' | 'DRIVER' | 'VIEWER'

export interface Database {
  /** The migrator's record of applied migrations (src/database/migrator.ts). */
  kysely_migration: { name: string, timestamp: string }
}
