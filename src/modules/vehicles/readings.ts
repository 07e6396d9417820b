import type { ReadingRequest } from '../meters/readings.js'
import type { VehicleRow } from './tables.js'

/** The odometer and engine hours a vehicle was registered with, as meter readings (none for a meter at 0). */
export function initialReadings (vehicle: VehicleRow, recordedBy: string): ReadingRequest[] {
  const common = { vehicleId: vehicle.id, recordedAt: vehicle.created_at, source: 'MANUAL' as const, recordedBy, note: 'Registered with the vehicle' }
  return [
    ...(Number(vehicle.odometer_km) > 0 ? [{ ...common, kind: 'ODOMETER' as const, value: Number(vehicle.odometer_km), field: 'input.odometer' }] : []),
    ...(Number(vehicle.engine_hours) > 0 ? [{ ...common, kind: 'ENGINE_HOURS' as const, value: Number(vehicle.engine_hours), field: 'input.engineHours' }] : [])
  ]
}
