import type { Kysely } from 'kysely'
import { runStatements } from '../ddl.js'

// Single sign-on (src/modules/identity/oidc.ts): a user who signs in with a token of the identity
// provider (OIDC_ISSUER) is linked to their identity there, its issuer and subject (`iss`, `sub`).
// The link is recorded the first time the user is matched by email, so that a later change of
// address at the provider keeps it. A subject of one issuer links at most one user; the issuer is
// kept so that subjects of a provider configured later can never collide with these.

export async function up (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    'ALTER TABLE users ADD COLUMN oidc_issuer text',
    'ALTER TABLE users ADD COLUMN oidc_subject text',
    `ALTER TABLE users ADD CONSTRAINT users_oidc_link_valid CHECK (
       (oidc_issuer IS NULL) = (oidc_subject IS NULL)
       AND char_length(oidc_issuer) BETWEEN 1 AND 2048
       AND char_length(oidc_subject) BETWEEN 1 AND 255
     )`,
    'CREATE UNIQUE INDEX users_oidc_subject_unique ON users (oidc_issuer, oidc_subject)'
  ])
}

export async function down (db: Kysely<any>): Promise<void> {
  await runStatements(db, [
    'DROP INDEX users_oidc_subject_unique',
    'ALTER TABLE users DROP CONSTRAINT users_oidc_link_valid',
    'ALTER TABLE users DROP COLUMN oidc_subject',
    'ALTER TABLE users DROP COLUMN oidc_issuer'
  ])
}
