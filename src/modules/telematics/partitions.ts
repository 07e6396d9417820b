import { type Kysely, sql } from 'kysely'
import type { Database } from '../../database/schema.js'

// Day partitions of the positions table (migration 0008): positions_pYYYYMMDD holds
// [day 00:00Z, next day 00:00Z). The maintenance job creates them POSITION_PARTITIONS_AHEAD_DAYS
// ahead and drops those wholly older than POSITION_RETENTION_DAYS (dropping a partition is
// instant and leaves no bloat, unlike DELETE). A late fix for a day without a partition (a
// tracker uploading its backlog) gets its partition on demand. Creation is serialized across
// replicas by an advisory lock and is idempotent.

const DAY_MS = 86_400_000
const LOCK = 'fleet.positions.partitions'

const dayOf = (date: Date): number => Math.floor(date.getTime() / DAY_MS)
const nameOf = (day: number): string => `positions_p${new Date(day * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '')}`
const dayFromName = (name: string): number | null => {
  const match = /^positions_p(\d{4})(\d{2})(\d{2})$/.exec(name)
  return match === null ? null : dayOf(new Date(`${match[1]}-${match[2]}-${match[3]}T00:00:00Z`))
}

export interface MaintenanceResult {
  created: string[]
  dropped: string[]
}

export class PositionPartitions {
  /** Days known to have a partition (this process created or saw it). */
  private readonly known = new Set<number>()
  /** One listing of the partitions at a time, shared by the batches that wait for it. */
  private listing: Promise<number[]> | null = null

  /**
   * Makes sure every day of these times has a partition. A day this process has not seen is first
   * looked up (one listing shared by concurrent batches, no lock); only a day that really has no
   * partition takes the creation lock.
   */
  async ensure (db: Kysely<Database>, times: readonly Date[]): Promise<void> {
    const unseen = (): number[] => [...new Set(times.map(dayOf))].filter((day) => !this.known.has(day))
    if (unseen().length === 0) return
    this.listing ??= this.existing(db).finally(() => { this.listing = null })
    await this.listing
    const missing = unseen()
    if (missing.length > 0) await this.create(db, missing)
  }

  /** Creates partitions ahead and drops expired ones. */
  async maintain (db: Kysely<Database>, now: Date, aheadDays: number, retentionDays: number): Promise<MaintenanceResult> {
    const today = dayOf(now)
    const wanted = Array.from({ length: aheadDays + 1 }, (_, i) => today + i)
    const created = await this.create(db, wanted)
    // A partition is dropped once its whole day is older than the retention period.
    const oldestKept = dayOf(new Date(now.getTime() - retentionDays * DAY_MS))
    const dropped: string[] = []
    for (const day of await this.existing(db)) {
      if (day >= oldestKept) continue
      // Dropping takes a brief exclusive lock on positions: never queue ingest behind a long read
      // for it; the next run tries again.
      await db.transaction().execute(async (trx) => {
        await sql`set local lock_timeout = '2s'`.execute(trx)
        await sql`drop table if exists ${sql.id(nameOf(day))}`.execute(trx)
      })
      this.known.delete(day)
      dropped.push(nameOf(day))
    }
    return { created, dropped }
  }

  /** Days that have a partition, oldest first. */
  async existing (db: Kysely<Database>): Promise<number[]> {
    const { rows } = await sql<{ name: string }>`
      /* telematics.positionPartitions */
      select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
       where i.inhparent = 'positions'::regclass`.execute(db)
    const days = rows.map((r) => dayFromName(r.name)).filter((d): d is number => d !== null).sort((a, b) => a - b)
    for (const day of days) this.known.add(day)
    return days
  }

  private async create (db: Kysely<Database>, days: readonly number[]): Promise<string[]> {
    const created: string[] = []
    await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${LOCK}))`.execute(trx)
      const existing = new Set(await this.existing(trx))
      for (const day of days) {
        if (existing.has(day)) continue
        const from = new Date(day * DAY_MS).toISOString()
        const to = new Date((day + 1) * DAY_MS).toISOString()
        // Not CREATE TABLE ... PARTITION OF: that takes an ACCESS EXCLUSIVE lock on positions, so a
        // late fix's partition would queue every ingest and read behind the longest running query.
        // A table of the same shape, then ATTACH, needs only SHARE UPDATE EXCLUSIVE on positions.
        await sql`create table if not exists ${sql.id(nameOf(day))} (like positions including all)`.execute(trx)
        await sql`alter table positions attach partition ${sql.id(nameOf(day))} for values from (${sql.lit(from)}) to (${sql.lit(to)})`.execute(trx)
        created.push(nameOf(day))
      }
    })
    for (const day of days) this.known.add(day)
    return created
  }
}
