import type { FuelType, VehicleType } from '../../src/modules/vehicles/tables.js'

// What the demo fleet is made of: real makes and models with their manufacturer codes (WMI),
// so the generated VINs look like the ones on real title documents.

export interface VehicleModel {
  type: VehicleType
  make: string
  model: string
  fuel: FuelType
  wmi: string
  years: [number, number]
  /** How many of every 50 vehicles are of this model. */
  share: number
}

export const VEHICLE_MODELS: readonly VehicleModel[] = [
  { type: 'VAN', make: 'Ford', model: 'Transit 250', fuel: 'GASOLINE', wmi: '1FT', years: [2018, 2025], share: 9 },
  { type: 'VAN', make: 'Ford', model: 'E-Transit', fuel: 'ELECTRIC', wmi: '1FT', years: [2022, 2025], share: 3 },
  { type: 'VAN', make: 'Mercedes-Benz', model: 'Sprinter 2500', fuel: 'DIESEL', wmi: 'W1Y', years: [2019, 2025], share: 4 },
  { type: 'PICKUP', make: 'Ford', model: 'F-150', fuel: 'GASOLINE', wmi: '1FT', years: [2017, 2025], share: 6 },
  { type: 'PICKUP', make: 'Chevrolet', model: 'Silverado 1500', fuel: 'GASOLINE', wmi: '1GC', years: [2017, 2024], share: 4 },
  { type: 'PICKUP', make: 'Ford', model: 'F-150 Lightning', fuel: 'ELECTRIC', wmi: '1FT', years: [2022, 2025], share: 2 },
  { type: 'TRUCK', make: 'Freightliner', model: 'M2 106', fuel: 'DIESEL', wmi: '1FV', years: [2016, 2024], share: 5 },
  { type: 'TRUCK', make: 'International', model: 'MV607', fuel: 'DIESEL', wmi: '3HA', years: [2019, 2024], share: 3 },
  { type: 'TRUCK', make: 'Isuzu', model: 'NPR-HD', fuel: 'GASOLINE', wmi: '54D', years: [2018, 2025], share: 2 },
  { type: 'CAR', make: 'Toyota', model: 'Camry Hybrid', fuel: 'HYBRID', wmi: '4T1', years: [2019, 2025], share: 4 },
  { type: 'CAR', make: 'Chevrolet', model: 'Bolt EV', fuel: 'ELECTRIC', wmi: '1G1', years: [2019, 2023], share: 2 },
  { type: 'BUS', make: 'Blue Bird', model: 'Vision', fuel: 'DIESEL', wmi: '1BA', years: [2015, 2023], share: 2 },
  { type: 'EQUIPMENT', make: 'Caterpillar', model: '420 XE Backhoe', fuel: 'DIESEL', wmi: 'CAT', years: [2016, 2023], share: 1 },
  { type: 'TRAILER', make: 'Wabash', model: 'DuraPlate 53ft', fuel: 'OTHER', wmi: '1JJ', years: [2014, 2022], share: 2 },
  { type: 'OTHER', make: 'Toro', model: 'Workman UTX', fuel: 'GASOLINE', wmi: '3TC', years: [2020, 2024], share: 1 }
]

export const FIRST_NAMES = [
  'Aisha', 'Bruno', 'Carmen', 'Dmitri', 'Elena', 'Farid', 'Grace', 'Hiro', 'Imani', 'Jonas',
  'Keiko', 'Luis', 'Maya', 'Nikolai', 'Olivia', 'Pedro', 'Quinn', 'Rosa', 'Samir', 'Tanya',
  'Umar', 'Vera', 'Wesley', 'Ximena', 'Yusuf', 'Zoe', 'Andre', 'Beatriz', 'Caleb', 'Dalia'
]

export const LAST_NAMES = [
  'Okafor', 'Lindqvist', 'Martinez', 'Novak', 'Haddad', 'Chen', 'Brennan', 'Tanaka', 'Mensah', 'Kowalski',
  'Silva', 'Fischer', 'Nguyen', 'Rossi', 'Abbott', 'Petrov', 'Delgado', 'Ibrahim', 'Walsh', 'Moreau',
  'Park', 'Adeyemi', 'Larsen', 'Costa', 'Reyes', 'Yilmaz', 'Dubois', 'Sato', 'Hughes', 'Varga'
]

export const ROLES = ['ADMIN', 'FLEET_MANAGER', 'DISPATCHER', 'MECHANIC', 'DRIVER', 'VIEWER'] as const

/** The password of every demo user (published in the README: these accounts are for trying the API). */
export const DEMO_PASSWORD = 'fleet-demo'
