import type { LatLon } from './geometry.js'

// Track simplification for `Vehicle.positions(maxPoints:)`: keeps the fixes that carry the
// shape. Douglas-Peucker driven by a priority queue, so it stops at exactly the number of points
// asked for instead of at a tolerance the caller would have to guess. Distances are measured on a
// flat projection around the track's first point (shape, not geodesy).

interface Span {
  from: number
  to: number
  /** The point between from and to farthest from the chord, and its distance. */
  pivot: number
  distance: number
}

export function simplifyTrack<T extends LatLon> (points: readonly T[], maxPoints: number): T[] {
  if (points.length <= maxPoints) return [...points]
  if (maxPoints <= 2) return maxPoints <= 0 ? [] : maxPoints === 1 ? [points[0] as T] : [points[0] as T, points[points.length - 1] as T]
  const origin = points[0] as T
  const cos = Math.cos(origin.latitude * Math.PI / 180)
  // Longitudes unwrapped step by step, so a track across the antimeridian (179.9 to -179.9) stays
  // continuous instead of jumping 360 degrees.
  let unwrapped = origin.longitude
  const x = points.map((p, i) => {
    if (i > 0) {
      const step = p.longitude - (points[i - 1] as T).longitude
      unwrapped += step > 180 ? step - 360 : step < -180 ? step + 360 : step
    }
    return (unwrapped - origin.longitude) * cos
  })
  const y = points.map((p) => p.latitude - origin.latitude)

  const span = (from: number, to: number): Span => {
    let pivot = -1
    let distance = -1
    const dx = (x[to] as number) - (x[from] as number)
    const dy = (y[to] as number) - (y[from] as number)
    const length = Math.hypot(dx, dy)
    for (let i = from + 1; i < to; i++) {
      const px = (x[i] as number) - (x[from] as number)
      const py = (y[i] as number) - (y[from] as number)
      const d = length === 0 ? Math.hypot(px, py) : Math.abs(px * dy - py * dx) / length
      if (d > distance) { distance = d; pivot = i }
    }
    return { from, to, pivot, distance }
  }

  const keep = new Uint8Array(points.length)
  keep[0] = 1
  keep[points.length - 1] = 1
  let kept = 2
  const heap = new MaxHeap<Span>((a, b) => a.distance - b.distance)
  heap.push(span(0, points.length - 1))
  while (kept < maxPoints && heap.size > 0) {
    const next = heap.pop() as Span
    if (next.pivot < 0) continue
    keep[next.pivot] = 1
    kept++
    if (next.pivot - next.from > 1) heap.push(span(next.from, next.pivot))
    if (next.to - next.pivot > 1) heap.push(span(next.pivot, next.to))
  }
  return points.filter((_, i) => keep[i] === 1)
}

class MaxHeap<T> {
  private readonly items: T[] = []
  constructor (private readonly compare: (a: T, b: T) => number) {}

  get size (): number { return this.items.length }

  push (item: T): void {
    const items = this.items
    items.push(item)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (this.compare(items[i] as T, items[parent] as T) <= 0) break
      ;[items[i], items[parent]] = [items[parent] as T, items[i] as T]
      i = parent
    }
  }

  pop (): T | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (items.length > 0 && last !== undefined) {
      items[0] = last
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        const right = left + 1
        let largest = i
        if (left < items.length && this.compare(items[left] as T, items[largest] as T) > 0) largest = left
        if (right < items.length && this.compare(items[right] as T, items[largest] as T) > 0) largest = right
        if (largest === i) break
        ;[items[i], items[largest]] = [items[largest] as T, items[i] as T]
        i = largest
      }
    }
    return top
  }
}
