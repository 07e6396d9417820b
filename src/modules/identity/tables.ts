import type { Generated, Insertable, Selectable } from 'kysely'
import type { Role, TenantRow, Timestamp } from '../../database/schema.js'

// The identity module's tables (users of an organization and their refresh tokens), created by db/migrations and merged
// into `Database` (src/database/schema.ts).

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

declare module '../../database/schema.js' {
  interface Database {
    users: UsersTable
    refresh_tokens: RefreshTokensTable
  }
}

export type UserRow = Selectable<UsersTable>
export type RefreshTokenRow = Selectable<RefreshTokensTable>
export type NewUser = Insertable<UsersTable>
