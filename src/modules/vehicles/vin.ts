// Vehicle identification numbers (ISO 3779; the check digit at position 9 is the North
// American rule of 49 CFR 565, which fleets elsewhere may not satisfy).

const ALPHABET = /^[A-HJ-NPR-Z0-9]{17}$/
const WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
const LETTER_VALUES: Record<string, number> = {
  A: 1, B: 2, C: 3, D: 4, E: 5, F: 6, G: 7, H: 8,
  J: 1, K: 2, L: 3, M: 4, N: 5, P: 7, R: 9,
  S: 2, T: 3, U: 4, V: 5, W: 6, X: 7, Y: 8, Z: 9
}

/** Upper-cases and strips spaces and dashes people type into VINs. */
export function normalizeVin (vin: string): string {
  return vin.replace(/[\s-]/g, '').toUpperCase()
}

/** The check digit ('0'-'9' or 'X') of a 17-character VIN of valid characters. */
export function vinCheckDigit (vin: string): string {
  let sum = 0
  for (let i = 0; i < 17; i++) {
    const char = vin.charAt(i)
    const value = /\d/.test(char) ? Number(char) : LETTER_VALUES[char] ?? 0
    sum += value * (WEIGHTS[i] ?? 0)
  }
  const remainder = sum % 11
  return remainder === 10 ? 'X' : String(remainder)
}

/** Why the (normalized) VIN is invalid, or null when it is valid. */
export function vinProblem (vin: string, requireCheckDigit: boolean): string | null {
  if (vin.length !== 17) return `VIN must be 17 characters, got ${vin.length}`
  if (!ALPHABET.test(vin)) return 'VIN may contain only digits and letters other than I, O and Q'
  if (requireCheckDigit && vin.charAt(8) !== vinCheckDigit(vin)) {
    return `VIN check digit (9th character) should be ${vinCheckDigit(vin)}; organizations outside North America can relax this check in their settings`
  }
  return null
}
