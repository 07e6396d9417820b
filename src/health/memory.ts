import { readFileSync } from 'node:fs'
import { totalmem } from 'node:os'

// The memory the process may use: the container's cgroup limit when there is one (v2, then v1),
// otherwise the machine's memory. Usage is measured against it as resident set size.

function cgroupLimit (): number | null {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const raw = readFileSync(file, 'utf8').trim()
      const value = Number(raw)
      // "max" (v2) or a huge number (v1) mean "no limit".
      if (raw !== 'max' && Number.isFinite(value) && value > 0 && value < totalmem()) return value
    } catch {
      // no such cgroup file: not in a container, or the other cgroup version
    }
  }
  return null
}

export function memoryLimitBytes (): number {
  return cgroupLimit() ?? totalmem()
}

const MB = 1024 * 1024

export function memoryUsage (limitBytes: number) {
  const usage = process.memoryUsage()
  return {
    percent: Math.round((usage.rss / limitBytes) * 1000) / 10,
    details: {
      heapUsed: Math.round(usage.heapUsed / MB),
      heapTotal: Math.round(usage.heapTotal / MB),
      rss: Math.round(usage.rss / MB),
      external: Math.round(usage.external / MB),
      limit: Math.round(limitBytes / MB)
    }
  }
}
