/** `pocdir retention`: the daily retention job, run by hand (docs/privacy.md#retention). */
import { runRetention } from '../modules/privacy/retention.js'
import { CliError, config, openLocalDatabase } from './common.js'

export interface RetentionCliOptions {
  dryRun: boolean
  months?: string
}

/** Applies (or, dry, lists) both retention rules on the local database; answers the lines to print. */
export function retention(o: RetentionCliOptions): string[] {
  const c = config()
  let months = c.retentionEndedMonths
  if (o.months !== undefined) {
    if (!/^\d{1,4}$/.test(o.months) || Number(o.months) < 1 || Number(o.months) > 1200) {
      throw new CliError('--months must be a whole number of months from 1 to 1200')
    }
    months = Number(o.months)
  }
  const db = openLocalDatabase()
  try {
    const report = runRetention(db, {
      months,
      accessLogDays: c.accessLogRetentionDays,
      keepName: c.erasureKeepName,
      dryRun: o.dryRun,
    })
    const would = report.dryRun ? 'would be ' : ''
    const lines: string[] = []
    if (report.cutoff === null) {
      lines.push('People: not erased automatically (RETENTION_ENDED_MONTHS is off; --months sets a period)')
    } else {
      lines.push(
        `People whose last tenure ended before ${report.cutoff}: ${report.erased.length} ${would}erased`,
      )
      for (const p of report.erased)
        lines.push(`  ${p.id}  ${p.displayName}  (last tenure ended ${p.lastEnded})`)
    }
    lines.push(
      `Access log: ${report.accessLogRemoved} entries older than ${c.accessLogRetentionDays} days ${would}removed`,
    )
    if (report.dryRun) lines.push('Dry run: nothing was changed')
    return lines
  } finally {
    db.$client.close()
  }
}
