import { invalidField } from './problem.js'

const PARTS =
  /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/

/**
 * The instant `duration` (ISO 8601, already validated by zod's z.iso.duration) before `from`,
 * in calendar arithmetic: P1M before 31 March is the last day of February.
 */
export function subtractDuration(duration: string, from: Date, path: string): Date {
  const m = PARTS.exec(duration)
  if (!m || duration === 'P' || duration.endsWith('T'))
    throw invalidField(path, 'is not an ISO 8601 duration')
  const [, y, mo, w, d, h, mi, s] = m.map((v) => Number(v ?? 0))
  const at = new Date(from)
  const day = at.getUTCDate()
  at.setUTCDate(1)
  at.setUTCFullYear(at.getUTCFullYear() - (y ?? 0), at.getUTCMonth() - (mo ?? 0))
  const lastDay = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 0)).getUTCDate()
  at.setUTCDate(Math.min(day, lastDay))
  const ms = (((w ?? 0) * 7 + (d ?? 0)) * 86400 + (h ?? 0) * 3600 + (mi ?? 0) * 60 + (s ?? 0)) * 1000
  const result = new Date(at.getTime() - ms)
  if (Number.isNaN(result.getTime())) throw invalidField(path, 'reaches beyond the calendar')
  return result
}
