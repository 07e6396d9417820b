import { randomBytes } from 'node:crypto'
import type { Role } from '../../database/schema.js'
import type { CreateUserInput, UpdateUserInput } from '../../generated/graphql.js'
import { badInput } from '../../errors.js'
import { email, given, id, present, text } from '../../graphql/validation.js'

export const userConstraints = {
  users_email_unique: { field: 'input.email', message: 'A user with this email already exists' },
  drivers_user_unique: { field: 'input.driverId', message: 'That driver record is linked to another user' }
}

// Length is what makes a password strong; composition rules mostly make it harder to remember
// (NIST SP 800-63B). The upper bound keeps scrypt's input reasonable.
export const PASSWORD_LENGTH = { min: 10, max: 1024 } as const
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

/** Characters (code points, not UTF-16 units), the one measure of every password check. */
export function passwordLength (value: string): number {
  // A string of more UTF-16 units than twice the limit is too long whatever it holds: no need to count.
  return value.length > PASSWORD_LENGTH.max * 2 ? value.length : [...value].length
}

/** An email as typed at sign-in that could belong to an account (anything else is a failed sign-in). */
export function plausibleEmail (value: string): boolean {
  return value.length <= 254 && value.isWellFormed() && !CONTROL.test(value)
}

export function newPassword (value: string, field: string): string {
  const length = passwordLength(value)
  if (length < PASSWORD_LENGTH.min || length > PASSWORD_LENGTH.max) {
    throw badInput(`${field} must be ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters long`, field)
  }
  if (value.trim() !== value) throw badInput(`${field} must not begin or end with spaces`, field)
  return value
}

/** 96 random bits, 16 URL-safe characters: shown once to the admin who asks for it. */
export function temporaryPassword (): string {
  return randomBytes(12).toString('base64url')
}

export interface NewUserRequest {
  email: string
  name: string
  role: Role
  password: string | null
  driverId: string | null
}

export function newUserRequest (input: CreateUserInput): NewUserRequest {
  return {
    email: email(input.email, 'input.email'),
    name: text(input.name, 'input.name', 200),
    role: input.role,
    password: input.password === undefined || input.password === null ? null : newPassword(input.password, 'input.password'),
    driverId: input.driverId === undefined || input.driverId === null ? null : id(input.driverId, 'input.driverId')
  }
}

export interface UserPatchRequest {
  patch: { name?: string, email?: string, role?: Role }
  /** undefined: leave the link; null: unlink. */
  driverId: string | null | undefined
}

export function userPatchRequest (input: UpdateUserInput): UserPatchRequest {
  const patch: UserPatchRequest['patch'] = {}
  if (given(input, 'name')) patch.name = text(present(input.name, 'input.name'), 'input.name', 200)
  if (given(input, 'email')) patch.email = email(present(input.email, 'input.email'), 'input.email')
  if (given(input, 'role')) patch.role = present(input.role, 'input.role')
  const driverId = !given(input, 'driverId') ? undefined : input.driverId === null ? null : id(input.driverId as string, 'input.driverId')
  return { patch, driverId }
}
