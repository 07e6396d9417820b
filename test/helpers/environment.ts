import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Where the test run's databases live: the PostgreSQL server named by DATABASE_URL (CI: this
// machine's), or, without it, embedded PGlite instances loaded from a prepared snapshot.

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const SERVER_URL = process.env.DATABASE_URL === undefined || process.env.DATABASE_URL === '' ? undefined : process.env.DATABASE_URL
/**
 * The tap runner's pid: the `before` script and every test file are its children, so they agree
 * on it, and concurrent runs against one server do not touch each other's databases.
 */
export const RUN_ID = String(process.ppid)
export const DATABASE_PREFIX = `fleet_test_${RUN_ID}_`
export const TEMPLATE_DATABASE = `${DATABASE_PREFIX}template`
export const PGLITE_SNAPSHOT = join(ROOT, '.tap', `fleet-test-template-${RUN_ID}.tar.gz`)
/**
 * The role the tests' databases belong to and the service connects as: not a superuser and not
 * BYPASSRLS, as in production, so that the write policies (migration 0009) hold in every test.
 * Roles are per server, so all runs share it.
 */
export const TEST_ROLE = 'fleet_test_app'
/** Fixed so that the demo data (and the tests that read it) does not move with the clock. */
export const SEED_NOW = new Date('2026-06-15T12:00:00.000Z')

/** The URL of another database on the same server, as its owner TEST_ROLE unless `user` says otherwise. */
export function databaseUrl (name: string, base = SERVER_URL as string, user = TEST_ROLE): string {
  const url = new URL(base)
  url.pathname = `/${name}`
  url.username = user
  if (user === TEST_ROLE) url.password = TEST_ROLE
  return url.toString()
}
