import { readdir, readFile } from 'node:fs/promises'

// What a process and the machine use, from /proc (Linux): the benchmarks report CPU and memory of
// the server process itself, not of the load generator that shares the machine.

const CLOCK_TICKS_PER_SECOND = 100

/** CPU milliseconds (user + system) a process has used so far; NaN once it is gone. */
export async function cpuOf (pid: number): Promise<number> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 1000 / CLOCK_TICKS_PER_SECOND
  } catch {
    return NaN
  }
}

/** Resident set size of a process, in bytes; NaN once it is gone. */
export async function rssOf (pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]) * 1024
  } catch {
    return NaN
  }
}

/** Busy and total CPU milliseconds of the whole machine (all cores), from /proc/stat. */
export async function machineCpu (): Promise<{ busy: number, total: number }> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] as string
    const values = line.trim().split(/\s+/).slice(1).map(Number)
    const idle = (values[3] ?? 0) + (values[4] ?? 0)
    const total = values.reduce((s, v) => s + v, 0)
    return { busy: (total - idle) * 1000 / CLOCK_TICKS_PER_SECOND, total: total * 1000 / CLOCK_TICKS_PER_SECOND }
  } catch {
    return { busy: NaN, total: NaN }
  }
}

/** CPU milliseconds used so far by each PostgreSQL process of this machine (postmaster, backends, workers). */
export async function postgresCpu (): Promise<Map<number, number>> {
  const usage = new Map<number, number>()
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if ((await readFile(`/proc/${entry}/comm`, 'utf8')).trim() !== 'postgres') continue
    } catch {
      continue
    }
    const cpu = await cpuOf(Number(entry))
    if (!Number.isNaN(cpu)) usage.set(Number(entry), cpu)
  }
  return usage
}

/**
 * CPU milliseconds PostgreSQL used between two readings: processes that started meanwhile count
 * whole; one that exited meanwhile takes its share with it (read around a load whose connections
 * stay open).
 */
export function postgresCpuBetween (before: Map<number, number>, after: Map<number, number>): number {
  let total = 0
  for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0)
  return total
}
