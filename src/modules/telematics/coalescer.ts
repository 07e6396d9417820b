import type { Fix, Rejection } from './fixes.js'
import type { IngestReport } from './ingest.js'

// Group commit for ingestion. A tracker sending one fix per request (the OsmAnd door) would
// otherwise cost a whole transaction per fix: lock, read, writes, commit. Batches of an
// organization run at most MAX_RUNNING at a time; requests arriving while all run wait and then go
// together, as one batch of up to POSITION_BATCH_MAX fixes, and each gets back its own part of the
// report (its stored fixes, duplicates and rejections, by its own indexes). At low load nothing
// waits: a request finding a free slot runs at once. If a combined batch fails, each of its
// requests is retried alone, so one request's failure is never another's.

const MAX_RUNNING = 4

interface Waiting {
  checked: ReadonlyArray<Fix | Rejection>
  resolve: (report: IngestReport) => void
  reject: (err: unknown) => void
}

interface Queue {
  waiting: Waiting[]
  running: number
}

export type IngestRun = (organizationId: string, checked: ReadonlyArray<Fix | Rejection>) => Promise<IngestReport>

export class IngestCoalescer {
  private readonly queues = new Map<string, Queue>()

  constructor (private readonly run: IngestRun, private readonly maxFixes: number) {}

  async submit (organizationId: string, checked: ReadonlyArray<Fix | Rejection>): Promise<IngestReport> {
    return await new Promise<IngestReport>((resolve, reject) => {
      let queue = this.queues.get(organizationId)
      if (queue === undefined) {
        queue = { waiting: [], running: 0 }
        this.queues.set(organizationId, queue)
      }
      queue.waiting.push({ checked, resolve, reject })
      this.pump(organizationId, queue)
    })
  }

  private pump (organizationId: string, queue: Queue): void {
    while (queue.running < MAX_RUNNING && queue.waiting.length > 0) {
      const group: Waiting[] = []
      let fixes = 0
      for (let next = queue.waiting[0]; next !== undefined; next = queue.waiting[0]) {
        if (group.length > 0 && fixes + next.checked.length > this.maxFixes) break
        group.push(next)
        queue.waiting.shift()
        fixes += next.checked.length
      }
      queue.running++
      void this.flush(organizationId, group).finally(() => {
        queue.running--
        if (queue.running === 0 && queue.waiting.length === 0) this.queues.delete(organizationId)
        else this.pump(organizationId, queue)
      })
    }
  }

  private async flush (organizationId: string, group: readonly Waiting[]): Promise<void> {
    if (group.length === 1) {
      const [only] = group as [Waiting]
      await this.run(organizationId, only.checked).then(only.resolve, only.reject)
      return
    }
    const starts: number[] = []
    const combined: Array<Fix | Rejection> = []
    for (const waiting of group) {
      starts.push(combined.length)
      const start = combined.length
      for (const item of waiting.checked) combined.push({ ...item, index: item.index + start })
    }
    let report: IngestReport
    try {
      report = await this.run(organizationId, combined)
    } catch {
      await Promise.all(group.map(async (waiting) => { await this.run(organizationId, waiting.checked).then(waiting.resolve, waiting.reject) }))
      return
    }
    group.forEach((waiting, i) => { waiting.resolve(part(report, starts[i] as number, waiting.checked.length)) })
  }
}

/** One request's share of a combined report; what is announced once for all (latest, alerts) is not repeated. */
function part (report: IngestReport, start: number, length: number): IngestReport {
  const mine = (index: number): boolean => index >= start && index < start + length
  const stored = new Set([...report.stored].filter(mine).map((index) => index - start))
  const rejected = report.rejected.filter((r) => mine(r.index)).map((r) => ({ ...r, index: r.index - start }))
  return { accepted: stored.size, stored, duplicates: length - stored.size - rejected.length, rejected, latest: [], alerts: [], metersChanged: [] }
}
