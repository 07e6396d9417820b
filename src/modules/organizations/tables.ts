import type { Generated, Selectable } from 'kysely'
import type { Row } from '../../database/schema.js'

// The organizations module's tables (organizations (tenants) and their settings), created by db/migrations and merged
// into `Database` (src/database/schema.ts).

export interface OrganizationsTable extends Row {
  slug: string
  name: string
  vin_check_digit_required: Generated<boolean>
  /** ISO 4217: the currency the organization's costs are recorded and summed in. */
  currency: Generated<string>
}

declare module '../../database/schema.js' {
  interface Database {
    organizations: OrganizationsTable
  }
}

export type OrganizationRow = Selectable<OrganizationsTable>
