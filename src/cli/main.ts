/**
 * `pocdir`: the service's one command line. Exit codes: 0 done, 1 failed (one line, no stack
 * trace unless --debug), 2 usage (unknown option or command, missing argument).
 */
import { Command, CommanderError, Option } from 'commander'
import { SCOPES } from '../plugins/auth.js'
import { type ApiClient, CliError, localClient, remoteClient, tokenFrom } from './common.js'
import { backup, check, restore } from './database.js'
import { handover, verify } from './directory.js'
import { retention } from './privacy.js'
import { mintToken } from './token.js'
import { exportFile, importFile } from './transfer.js'

interface Remote {
  url?: string
  tokenFile?: string
}

const remoteOptions = (cmd: Command, what: string) =>
  cmd
    .option('--url <url>', `${what} a running server instead of the local database (DATABASE_PATH)`)
    .option(
      '--token-file <file>',
      'with --url: the bearer token, read from this file (default: $POCDIR_TOKEN)',
    )

async function client(o: Remote, actor: string): Promise<ApiClient> {
  return o.url ? remoteClient(o.url, tokenFrom(o)) : localClient(actor)
}

export function program(): Command {
  const cli = new Command('pocdir')
    .description('The UNSCR 1540 Points-of-Contact directory: tokens, imports, exports, handovers, backups.')
    .option('--debug', 'print stack traces of failures')
    .exitOverride()
    .addHelpText(
      'after',
      '\nThe local database is DATABASE_PATH (default ./data/pocdir.db), as for the server.\n' +
        'Tokens for --url come from --token-file FILE or $POCDIR_TOKEN, never from the command line.\n' +
        'Exit codes: 0 done, 1 failed, 2 usage.',
    )
  cli.configureOutput({ outputError: (str, write) => write(str) })

  cli
    .command('token')
    .description("mint a token signed with the server's local secret (JWT_SECRET or DATA_DIR/jwt-secret)")
    .addOption(
      new Option('--scope <scopes>', `space-separated: ${SCOPES.join(', ')}`).default('directory:read'),
    )
    .option('--sub <subject>', 'who the token speaks for (recorded as the actor of writes)', 'dev')
    .option('--states <codes>', 'limit writes to these States, e.g. KG,KZ')
    .option('--expires <duration>', 'lifetime, like 30m, 8h or 7d', '8h')
    .action(async (o: { scope: string; sub: string; states?: string; expires: string }) => {
      console.log(await mintToken(o))
    })

  remoteOptions(
    cli
      .command('import')
      .description('import a CSV, NDJSON or JSON file of directory rows')
      .argument('<file>', 'the file; its extension picks the format unless --format is given')
      .option('--dry-run', 'validate and count, write nothing', false)
      .addOption(new Option('--format <format>', 'the file format').choices(['csv', 'ndjson', 'json']))
      .option('--actor <name>', 'recorded as the actor of local writes', 'script:import'),
    'import into',
  ).action(async (file: string, o: Remote & { dryRun: boolean; format?: 'csv'; actor: string }) => {
    process.exitCode = await importFile(file, { ...o, token: o.url ? tokenFrom(o) : undefined })
  })

  remoteOptions(
    cli
      .command('export')
      .description('export contacts as CSV (the import columns) or vCard 4.0')
      .addOption(new Option('--format <format>', 'output format').choices(['csv', 'vcard']).default('csv'))
      .option('--state <code>', 'people with a tenure in this State')
      .option('--role <key>', 'people holding this role (key or id)')
      .option('--organization <id>', 'people at this organization')
      .option('--all', 'include people whose tenures have ended', false)
      .option('--out <file>', 'write here instead of standard output'),
    'export from',
  ).action(async (o: Remote & { format: 'csv'; all: boolean; out?: string }) => {
    process.exitCode = await exportFile({ ...o, token: o.url ? tokenFrom(o) : undefined })
  })

  remoteOptions(
    cli
      .command('handover')
      .description("hand a State's current role holder's tenure over to a successor on a date")
      .requiredOption('--state <code>', 'the State, e.g. KG')
      .requiredOption('--role <key>', 'the role, e.g. national-poc')
      .requiredOption(
        '--successor <name-or-id>',
        "the successor's contact id, or a name matching one contact",
      )
      .requiredOption('--date <yyyy-mm-dd>', 'the day the successor takes over')
      .option('--organization <id>', 'when the State has the role at several organizations')
      .option('--end-reason <text>', "why the old tenure ends (default: the tenure's own)")
      .option('--designation-ref <text>', "the new tenure's designation reference, e.g. a note verbale")
      .option('--designation-date <yyyy-mm-dd>', 'the date of that designation')
      .option('--actor <name>', 'recorded as the actor of local writes', 'cli:handover'),
    'hand over on',
  ).action(
    async (
      o: Remote & {
        state: string
        role: string
        successor: string
        date: string
        actor: string
        organization?: string
        endReason?: string
        designationRef?: string
        designationDate?: string
      },
    ) => {
      const api = await client(o, o.actor)
      try {
        console.log(await handover(api, o))
      } finally {
        await api.close()
      }
    },
  )

  remoteOptions(
    cli
      .command('verify')
      .description('mark a contact or organization as confirmed now (lastVerifiedAt)')
      .addArgument(
        new Command()
          .createArgument('<kind>', 'contact or organization')
          .choices(['contact', 'organization']),
      )
      .argument('<id>', 'the record id')
      .option('--actor <name>', 'recorded as the actor of local writes', 'cli:verify'),
    'verify on',
  ).action(async (kind: string, id: string, o: Remote & { actor: string }) => {
    const api = await client(o, o.actor)
    try {
      console.log(await verify(api, kind, id))
    } finally {
      await api.close()
    }
  })

  cli
    .command('retention')
    .description(
      'erase people whose last tenure ended more than RETENTION_ENDED_MONTHS months ago and trim the access log',
    )
    .option('--dry-run', 'list who would be erased and what would be removed; change nothing', false)
    .option('--months <n>', 'the period in months for this run (default: RETENTION_ENDED_MONTHS)')
    .action((o: { dryRun: boolean; months?: string }) => {
      for (const line of retention(o)) console.log(line)
    })

  cli
    .command('backup')
    .description("copy the database with SQLite's online backup API; safe while the service runs")
    .argument('<file>', 'where to write the copy')
    .option('--force', 'overwrite FILE if it exists', false)
    .action(async (file: string, o: { force: boolean }) => {
      console.log(await backup(file, o))
    })

  cli
    .command('restore')
    .description('put a backup in place of DATABASE_PATH; the service must be stopped')
    .argument('<file>', 'a file written by pocdir backup')
    .action((file: string) => {
      console.log(restore(file))
    })

  cli
    .command('check')
    .description("the database's integrity check and pending migrations (read-only)")
    .action(() => {
      const [code, lines] = check()
      for (const line of lines) console.log(line)
      process.exitCode = code
    })

  return cli
}

/** Runs the command line; resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  const cli = program()
  const debug = argv.includes('--debug')
  try {
    await cli.parseAsync(argv)
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are not failures; everything else commander refuses is usage.
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.help' ||
        err.code === 'commander.version'
      ) {
        return 0
      }
      // Usage: the failing command's help follows commander's one-line error.
      const named = cli.commands.find((c) => argv.slice(2).includes(c.name()))
      console.error(`\n${(named ?? cli).helpInformation().replace(/^Usage:/, 'usage:')}`)
      return 2
    }
    if (debug) console.error(err)
    else
      console.error(`pocdir: ${err instanceof CliError ? err.message : `${(err as Error).message ?? err}`}`)
    return 1
  }
}
