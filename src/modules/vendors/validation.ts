import { badInput } from '../../errors.js'
import type { CreateVendorInput, UpdateVendorInput } from '../../generated/graphql.js'
import { distinct, email, given, optionalText, present, text } from '../../graphql/validation.js'
import type { NewVendor, VendorKind, VendorUpdate } from './tables.js'

export const vendorConstraints = {
  vendors_name_unique: { field: 'input.name', message: 'Another vendor of this organization already has this name' }
}

const PHONE = /^\+?[0-9 ().-]{5,32}$/

function kinds (values: readonly VendorKind[], field: string): VendorKind[] {
  const unique = distinct(values) ?? []
  if (unique.length === 0) throw badInput(`${field} must name at least one kind`, field)
  return unique
}

function phone (value: string | null | undefined, field: string): string | null {
  const plain = optionalText(value, field, 32)
  if (plain !== null && !PHONE.test(plain)) throw badInput(`${field} is not a phone number`, field)
  return plain
}

function website (value: string | null | undefined, field: string): string | null {
  const plain = optionalText(value, field, 500)
  if (plain === null) return null
  let url: URL
  try {
    url = new URL(plain)
  } catch {
    throw badInput(`${field} is not a URL`, field)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badInput(`${field} must be an http(s) URL`, field)
  return plain
}

function optionalEmail (value: string | null | undefined, field: string): string | null {
  return value === null || value === undefined || value.trim() === '' ? null : email(value, field)
}

export function newVendor (input: CreateVendorInput, organizationId: string): NewVendor {
  return {
    organization_id: organizationId,
    name: text(input.name, 'input.name', 200),
    kinds: kinds(input.kinds, 'input.kinds'),
    contact_name: optionalText(input.contactName, 'input.contactName', 200),
    email: optionalEmail(input.email, 'input.email'),
    phone: phone(input.phone, 'input.phone'),
    address: optionalText(input.address, 'input.address', 500),
    website: website(input.website, 'input.website'),
    notes: optionalText(input.notes, 'input.notes', 2000)
  }
}

export function vendorPatch (input: UpdateVendorInput): VendorUpdate {
  const patch: VendorUpdate = {}
  if (given(input, 'name')) patch.name = text(present(input.name, 'input.name'), 'input.name', 200)
  if (given(input, 'kinds')) patch.kinds = kinds(present(input.kinds, 'input.kinds'), 'input.kinds')
  if (given(input, 'contactName')) patch.contact_name = optionalText(input.contactName, 'input.contactName', 200)
  if (given(input, 'email')) patch.email = optionalEmail(input.email, 'input.email')
  if (given(input, 'phone')) patch.phone = phone(input.phone, 'input.phone')
  if (given(input, 'address')) patch.address = optionalText(input.address, 'input.address', 500)
  if (given(input, 'website')) patch.website = website(input.website, 'input.website')
  if (given(input, 'notes')) patch.notes = optionalText(input.notes, 'input.notes', 2000)
  if (given(input, 'active')) patch.active = present(input.active, 'input.active')
  return patch
}
