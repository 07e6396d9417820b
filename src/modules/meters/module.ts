import { FLEET_MANAGERS, METER_RECORDERS, VEHICLE_READERS } from '../identity/permissions.js'
import { defineModule } from '../module.js'
import { meterLoaders } from './loaders.js'
import { meterResolvers } from './resolvers.js'
import { meterConstraints } from './validation.js'

// Odometer and engine-hour readings of each vehicle, from people, trackers, fuel, work orders and
// imports; the latest valid one is the vehicle's odometer or engine hours (readings.ts).

export const metersModule = defineModule({
  name: 'meters',
  resolvers: meterResolvers,
  loaders: { meters: meterLoaders },
  access: {
    Mutation: {
      recordMeterReading: METER_RECORDERS,
      voidMeterReading: FLEET_MANAGERS
    },
    Vehicle: {
      meterReadings: VEHICLE_READERS
    }
  },
  driverOwnRows: ['Mutation.recordMeterReading', 'Vehicle.meterReadings'],
  constraints: meterConstraints
})
