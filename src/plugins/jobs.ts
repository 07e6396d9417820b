import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { jobs } from '../modules/index.js'
import type { ModuleJob } from '../modules/module.js'

// Runs the modules' background jobs (their manifests' `jobs`) on this replica: each every
// `intervalMs`, first one interval after start-up has finished (a starting replica answers its
// probes first), one run of a job at a time; a failed run is logged and tried again next time.
// On close, a running job is waited for. Jobs are written so that replicas running them at once
// do no harm.

export const jobsPlugin = fp(async (app: FastifyInstance, { config }: { config: Config }) => {
  const timers: NodeJS.Timeout[] = []
  const running = new Set<Promise<void>>()
  const schedule = (job: ModuleJob): void => {
    const intervalMs = job.intervalMs(config)
    if (intervalMs === 0) return
    let current: Promise<void> | undefined
    const run = (): void => {
      if (current !== undefined) return
      const started = performance.now()
      current = job.run({ db: app.db, events: app.events, config, log: app.log })
        .then(() => { app.log.debug({ job: job.name, ms: Math.round(performance.now() - started) }, 'job ran') })
        .catch((err: unknown) => { app.log.warn({ err, job: job.name }, 'job failed; retrying next interval') })
        .finally(() => {
          running.delete(current as Promise<void>)
          current = undefined
        })
      running.add(current)
    }
    const timer = setInterval(run, intervalMs)
    timer.unref()
    timers.push(timer)
  }
  app.addHook('onReady', async () => { app.startup.onDone(() => { for (const job of jobs) schedule(job) }) })
  app.addHook('onClose', async () => {
    for (const timer of timers) clearInterval(timer)
    await Promise.all(running)
  })
}, { name: 'jobs', dependencies: ['database', 'startup', 'events'] })
