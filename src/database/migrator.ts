import { readdirSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { type Kysely, sql } from 'kysely'
import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator, NO_MIGRATIONS } from 'kysely/migration'

// db/migrations, seen from src/database (sources under tsx) or dist/src/database (compiled).
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../db/migrations/', import.meta.url))
const MIGRATION_FILE = /^(\d{8}_\d{4}_[a-z0-9_]+)\.(ts|js)$/

/** Reads db/migrations whether it holds TypeScript sources or their compiled JavaScript. */
class MigrationFolder implements MigrationProvider {
  constructor (private readonly dir: string) {}

  async getMigrations (): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {}
    for (const file of (await readdir(this.dir)).sort()) {
      const match = MIGRATION_FILE.exec(file)
      if (match === null) continue
      const module = await import(pathToFileURL(join(this.dir, file)).href) as Migration
      migrations[match[1] as string] = { up: module.up, down: module.down }
    }
    return migrations
  }
}

function migrationNames (dir: string): string[] {
  return readdirSync(dir).map((file) => MIGRATION_FILE.exec(file)?.[1]).filter((name): name is string => name !== undefined).sort()
}

/** The newest migration this code ships: the schema version cached rows belong to. */
export function latestMigration (dir = MIGRATIONS_DIR): string {
  return migrationNames(dir).at(-1) ?? 'none'
}

/**
 * Every migration this code ships has been applied, and no other: one statement, without loading
 * the migration modules or taking the migration lock (the usual answer at every start).
 */
export async function upToDate (db: Kysely<any>, dir = MIGRATIONS_DIR): Promise<boolean> {
  const { rows } = await sql<{ name: string }>`
    select name from kysely_migration where to_regclass('kysely_migration') is not null order by name`.execute(db).catch(() => ({ rows: null }))
  if (rows === null) return false
  const shipped = migrationNames(dir)
  return rows.length === shipped.length && rows.every((row, i) => row.name === shipped[i])
}

export interface MigrationStatus {
  name: string
  executedAt: Date | null
}

export class MigrationFailure extends Error {
  constructor (readonly migration: string, override readonly cause: unknown) {
    super(`Migration ${migration} failed: ${cause instanceof Error ? cause.message : String(cause)}`)
    this.name = 'MigrationFailure'
  }
}

export function createMigrator (db: Kysely<any>, dir = MIGRATIONS_DIR): Migrator {
  return new Migrator({ db, provider: new MigrationFolder(dir) })
}

function unwrap ({ error, results }: MigrationResultSet): string[] {
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName
    // No migration failed: the database could not be reached or read. That error tells the story.
    if (failed === undefined) throw error instanceof Error ? error : new Error(String(error))
    throw new MigrationFailure(failed, error)
  }
  return (results ?? []).map((r) => r.migrationName)
}

/** Applies every pending migration; returns the names applied. */
export async function migrateUp (db: Kysely<any>): Promise<string[]> {
  return unwrap(await createMigrator(db).migrateToLatest())
}

/** Reverts the most recent migration; returns its name (none when nothing is applied). */
export async function migrateDown (db: Kysely<any>): Promise<string[]> {
  return unwrap(await createMigrator(db).migrateDown())
}

/** Reverts every migration. */
export async function migrateReset (db: Kysely<any>): Promise<string[]> {
  return unwrap(await createMigrator(db).migrateTo(NO_MIGRATIONS))
}

export async function migrationStatus (db: Kysely<any>): Promise<MigrationStatus[]> {
  const migrations = await createMigrator(db).getMigrations()
  return migrations.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null }))
}

export async function pendingMigrations (db: Kysely<any>): Promise<string[]> {
  return (await migrationStatus(db)).filter((m) => m.executedAt === null).map((m) => m.name)
}
