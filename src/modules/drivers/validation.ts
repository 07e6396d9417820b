import type { DriverUpdate, NewDriver } from './tables.js'
import type { CreateDriverInput, UpdateDriverInput } from '../../generated/graphql.js'
import { badInput } from '../../errors.js'
import { email, given, optionalText, present, text } from '../../graphql/validation.js'

export const driverConstraints = {
  drivers_license_number_unique: { field: 'input.licenseNumber', message: 'Another driver of this organization already has this licence number' }
}

const PHONE = /^\+?[0-9 ().-]{5,32}$/

function optionalEmail (value: string | null | undefined): string | null {
  return value === null || value === undefined || value.trim() === '' ? null : email(value, 'input.email')
}

function phone (value: string | null | undefined): string | null {
  const plain = optionalText(value, 'input.phone', 32)
  if (plain !== null && !PHONE.test(plain)) throw badInput('input.phone may contain digits, spaces, + ( ) . and -', 'input.phone')
  return plain
}

function licenseNumber (value: string): string {
  return text(value, 'input.licenseNumber', 32).toUpperCase()
}

export function newDriver (input: CreateDriverInput, organizationId: string): NewDriver {
  return {
    organization_id: organizationId,
    name: text(input.name, 'input.name', 200),
    email: optionalEmail(input.email),
    phone: phone(input.phone),
    license_number: licenseNumber(input.licenseNumber),
    license_class: optionalText(input.licenseClass, 'input.licenseClass', 16),
    license_expires_at: input.licenseExpiresAt ?? null,
    status: input.status ?? 'ACTIVE'
  }
}

export function driverPatch (input: UpdateDriverInput): DriverUpdate {
  const patch: DriverUpdate = {}
  if (given(input, 'name')) patch.name = text(present(input.name, 'input.name'), 'input.name', 200)
  if (given(input, 'email')) patch.email = optionalEmail(input.email)
  if (given(input, 'phone')) patch.phone = phone(input.phone)
  if (given(input, 'licenseNumber')) patch.license_number = licenseNumber(present(input.licenseNumber, 'input.licenseNumber'))
  if (given(input, 'licenseClass')) patch.license_class = optionalText(input.licenseClass, 'input.licenseClass', 16)
  if (given(input, 'licenseExpiresAt')) patch.license_expires_at = input.licenseExpiresAt ?? null
  if (given(input, 'status')) patch.status = present(input.status, 'input.status')
  return patch
}
