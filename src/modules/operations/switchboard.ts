import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../database/schema.js'
import type { FeatureFlagRow, MaintenanceModeRow } from './tables.js'
import type { FeatureDefinition } from '../module.js'
import { loadSwitches } from './queries.js'

// The switches in memory, so checking them costs a request nothing. The table is re-read in the
// background every `refreshMs` and right after a change made through this process; other
// replicas pick a change up within `refreshMs`. If PostgreSQL cannot be read, the last known
// state stays in force.

export type SwitchScope = 'SERVICE' | 'ORGANIZATION'

export interface FlagState {
  name: string
  description: string
  enabled: boolean
  scope: SwitchScope | null
  reason: string | null
  updatedAt: Date | null
}

export interface MaintenanceState {
  enabled: boolean
  message: string | null
  scope: SwitchScope | null
  since: Date | null
}

export interface SwitchboardOptions {
  db: Kysely<Database>
  refreshMs: number
  log: FastifyBaseLogger
  /** MAINTENANCE_MODE from the environment: the whole service read-only whatever the table says. */
  maintenanceFromConfig: { enabled: boolean, message: string }
  /** The features that can be switched off (the modules declare them). */
  features: Record<string, FeatureDefinition>
}

export class Switchboard {
  private flags: FeatureFlagRow[] = []
  private maintenanceRows: MaintenanceModeRow[] = []
  private timer: NodeJS.Timeout | undefined
  private loading: Promise<void> | null = null
  private next: Promise<void> | null = null
  /** Whether the table has been read at least once (readiness waits for it). */
  loaded = false

  /** The feature guarding each root field (`Query.fleetSummary`), if any. */
  private readonly featureOfField: ReadonlyMap<string, string>

  constructor (private readonly options: SwitchboardOptions) {
    this.featureOfField = new Map(Object.entries(options.features).flatMap(([name, feature]) => feature.fields.map((field) => [field, name] as const)))
  }

  /** The names of the features that can be switched off. */
  get features (): string[] {
    return Object.keys(this.options.features)
  }

  isFeature (name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.options.features, name)
  }

  /** The feature that guards a root field (`Mutation.createVehicle`), or undefined. */
  featureOf (field: string): string | undefined {
    return this.featureOfField.get(field)
  }

  /** Starts reading in the background: a hung database must not hold up the process. */
  start (): void {
    void this.reload()
    this.timer = setInterval(() => { void this.reload() }, this.options.refreshMs)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
  }

  /**
   * Re-reads the table now (after a change, or when told a change happened elsewhere). A reload
   * asked for while one is running starts a fresh read after it: the running one may have read
   * before the change that asked, and joining it would keep the old state until the next refresh.
   * Callers arriving meanwhile share that one follow-up read.
   */
  async reload (): Promise<void> {
    if (this.loading === null) {
      this.loading = this.read().finally(() => { this.loading = null })
      await this.loading
      return
    }
    this.next ??= this.loading.then(async () => {
      this.next = null
      await this.reload()
    })
    await this.next
  }

  private async read (): Promise<void> {
    try {
      const { flags, maintenance } = await loadSwitches(this.options.db)
      this.flags = flags
      this.maintenanceRows = maintenance
      this.loaded = true
    } catch (err) {
      this.options.log.warn({ err }, 'could not refresh feature flags and maintenance mode; keeping the last known state')
    }
  }

  flag (name: string, organizationId: string | null): FlagState {
    const base = { name, description: this.options.features[name]?.description ?? name }
    const service = this.flags.find((f) => f.organization_id === null && f.name === name)
    if (service !== undefined && !service.enabled) {
      return { ...base, enabled: false, scope: 'SERVICE', reason: service.reason, updatedAt: service.updated_at }
    }
    const own = organizationId === null ? undefined : this.flags.find((f) => f.organization_id === organizationId && f.name === name)
    if (own !== undefined) return { ...base, enabled: own.enabled, scope: 'ORGANIZATION', reason: own.reason, updatedAt: own.updated_at }
    if (service !== undefined) return { ...base, enabled: true, scope: 'SERVICE', reason: service.reason, updatedAt: service.updated_at }
    return { ...base, enabled: true, scope: null, reason: null, updatedAt: null }
  }

  maintenance (organizationId: string | null): MaintenanceState {
    const configured = this.options.maintenanceFromConfig
    if (configured.enabled) return { enabled: true, message: configured.message, scope: 'SERVICE', since: null }
    const row = this.maintenanceRows.find((m) => m.organization_id === null) ??
      (organizationId === null ? undefined : this.maintenanceRows.find((m) => m.organization_id === organizationId))
    if (row === undefined) return { enabled: false, message: null, scope: null, since: null }
    return { enabled: true, message: row.message, scope: row.organization_id === null ? 'SERVICE' : 'ORGANIZATION', since: row.created_at }
  }
}
