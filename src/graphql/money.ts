import { badInput } from '../errors.js'

// Money, as the contract has it: never a float. Amounts travel as decimal strings and are
// computed by PostgreSQL's numeric; these functions only check what comes in and shape what goes
// out. Currencies are ISO 4217 codes, checked against the ones the runtime's ICU knows.

export interface Money {
  amount: string
  currency: string
}

const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'))

/** An ISO 4217 currency code (upper case, one the runtime knows). */
export function currencyCode (value: string, field: string): string {
  const code = value.trim().toUpperCase()
  if (!/^[A-Z]{3}$/.test(code) || !CURRENCIES.has(code)) throw badInput(`${field} must be an ISO 4217 currency code such as USD or EUR`, field)
  return code
}

/**
 * A non-negative decimal amount as text, with at most `decimals` decimals and `digits` digits
 * before the point: what a numeric column takes exactly (`"12.5"`, `"0.0250"`).
 */
export function decimalAmount (value: string, field: string, decimals: number, digits = 10): string {
  const plain = value.trim()
  const pattern = new RegExp(`^\\d{1,${digits}}(\\.\\d{1,${decimals}})?$`)
  if (!pattern.test(plain)) throw badInput(`${field} must be a decimal number such as "12.50" (at most ${decimals} decimals)`, field)
  return plain
}

/** A money input's amount and currency, the currency defaulting to (and required to be) `expected`. */
export function moneyIn (input: { amount: string, currency?: string | null }, field: string, expected: string, decimals = 4): Money {
  const amount = decimalAmount(input.amount, `${field}.amount`, decimals)
  const currency = input.currency === null || input.currency === undefined ? expected : currencyCode(input.currency, `${field}.currency`)
  if (currency !== expected) throw badInput(`${field}.currency is ${currency}, but the amounts here are in ${expected}: one currency only`, `${field}.currency`)
  return { amount, currency }
}

/** A numeric value from PostgreSQL (a decimal string) as Money with two decimals. */
export function money (amount: string | number, currency: string): Money {
  return { amount: cents(String(amount)), currency }
}

/** Writes a decimal string with exactly two decimals; the database rounded it (more would be a bug). */
function cents (amount: string): string {
  const [whole = '0', fraction = ''] = amount.split('.')
  if (fraction.length > 2 && !/^0+$/.test(fraction.slice(2))) throw new Error(`an amount not rounded to cents reached the API: ${amount}`)
  return `${whole}.${fraction.padEnd(2, '0').slice(0, 2)}`
}

/** A unit price or rate (up to four decimals stored): at least two decimals, no trailing zeros beyond. */
export function price (amount: string, currency: string): Money {
  const [whole = '0', fraction = ''] = amount.split('.')
  const digits = fraction.replace(/0+$/, '').padEnd(2, '0')
  return { amount: `${whole}.${digits}`, currency }
}
