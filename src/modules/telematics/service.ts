import type { Kysely } from 'kysely'
import type { MQEmitter } from 'mqemitter'
import type { FastifyBaseLogger } from 'fastify'
import type { EntityCache } from '../../cache/entity-cache.js'
import type { Config } from '../../config.js'
import type { Database } from '../../database/schema.js'
import { GeofenceDirectory } from '../geofences/directory.js'
import { VEHICLE } from '../vehicles/loaders.js'
import { publish } from '../../events/publish.js'
import { alertsTopic } from '../alerts/topics.js'
import { PositionPublisher } from './events.js'
import { checkFix, type FixLimits, type RawFix } from './fixes.js'
import { IngestCoalescer } from './coalescer.js'
import { ingest, type IngestReport } from './ingest.js'
import { maintainTelematics, type MaintenanceReport, trackingSettings } from './maintenance.js'
import { PositionPartitions } from './partitions.js'
import type { TrackingSettings } from './tracking.js'

// Telematics as the rest of the service sees it: record fixes (from any door), then tell
// everyone (cache, subscribers on every replica), and the periodic maintenance.

/** The door a batch came in by (a label of fleet_api_positions_ingested_total). */
export type IngestSource = 'graphql' | 'device' | 'osmand'

export interface TelematicsDependencies {
  db: () => Kysely<Database>
  cache: EntityCache
  events: MQEmitter
  config: Config
  log: FastifyBaseLogger
  /** Counts what each batch came to. */
  counted: (source: IngestSource, counts: { accepted: number, duplicates: number, rejected: number }) => void
}

export class Telematics {
  readonly partitions = new PositionPartitions()
  readonly geofences: GeofenceDirectory
  readonly settings: TrackingSettings
  private readonly publisher: PositionPublisher
  private readonly coalescer: IngestCoalescer

  constructor (private readonly deps: TelematicsDependencies) {
    const { config } = deps
    this.geofences = new GeofenceDirectory(deps.db, deps.events, config.CACHE_NAMESPACE)
    this.settings = trackingSettings(config)
    this.coalescer = new IngestCoalescer(async (organizationId, checked) => {
      const report = await ingest({
        db: this.deps.db(),
        partitions: this.partitions,
        geofences: async (org) => await this.geofences.of(org),
        settings: this.settings
      }, organizationId, checked)
      await this.announce(organizationId, report)
      return report
    }, config.POSITION_BATCH_MAX)
    this.publisher = new PositionPublisher(deps.events, config.CACHE_NAMESPACE, config.POSITION_PUBLISH_INTERVAL_MS, (err) => {
      deps.log.warn({ err }, 'could not publish vehiclePositionUpdated')
    })
  }

  limits (): FixLimits {
    return { now: new Date(), maxFutureSeconds: this.deps.config.POSITION_MAX_FUTURE_SECONDS, retentionDays: this.deps.config.POSITION_RETENTION_DAYS }
  }

  /**
   * Checks and stores a batch for an organization. `deviceVehicleId`: the batch came from that
   * vehicle's tracker, so fixes need not name it and may not name another.
   */
  async record (organizationId: string, raw: readonly RawFix[], source: IngestSource, deviceVehicleId?: string): Promise<IngestReport> {
    const limits = this.limits()
    const checked = raw.map((fix, index) => checkFix(fix, index, limits, deviceVehicleId))
    const report = await this.coalescer.submit(organizationId, checked)
    this.deps.counted(source, { accepted: report.accepted, duplicates: report.duplicates, rejected: report.rejected.length })
    return report
  }

  /** Counts a fix its door could not read as one (an OsmAnd `cell` or `timestamp` in no known form): rejected all the same. */
  refused (source: IngestSource): void {
    this.deps.counted(source, { accepted: 0, duplicates: 0, rejected: 1 })
  }

  /** After commit: stale cached vehicles (odometer, engine hours), live positions, raised alerts. */
  private async announce (organizationId: string, report: IngestReport): Promise<void> {
    await this.deps.cache.invalidate(VEHICLE.entity, organizationId, report.metersChanged)
    for (const latest of report.latest) this.publisher.publish(latest)
    for (const alert of report.alerts) {
      await publish(this.deps.events, alertsTopic(this.deps.config.CACHE_NAMESPACE, organizationId), { alertRaised: alert.id })
        .catch((err: unknown) => { this.deps.log.warn({ err, alertId: alert.id }, 'could not publish alertRaised') })
    }
  }

  /** Partitions ahead, retention, and trips of trackers that fell silent (maintenance.ts). */
  async maintain (now = new Date()): Promise<MaintenanceReport> {
    return await maintainTelematics(this.deps.db(), this.deps.config, this.partitions, now)
  }

  close (): void {
    this.publisher.flush()
  }
}
