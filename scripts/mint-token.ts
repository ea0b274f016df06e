/**
 * Mints a signed HS256 token for local use with the configured JWT_SECRET or the secret
 * generated into the data directory on first start.
 *
 *   npm run token -- --scope "directory:write" [--sub alice] [--states KG,KZ] [--expires 8h]
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { SignJWT } from 'jose'
import { z } from 'zod'
import { loadConfig } from '../src/config.js'
import { SCOPES } from '../src/plugins/auth.js'

const Args = z.object({
  sub: z.string().min(1).default('dev'),
  scope: z
    .string()
    .default('directory:read')
    .refine((s) => s.split(' ').every((x) => (SCOPES as readonly string[]).includes(x)), {
      message: `scopes are ${SCOPES.join(', ')}`,
    }),
  states: z
    .string()
    .regex(/^[A-Z]{2}(,[A-Z]{2})*$/, 'a comma list of alpha-2 codes, e.g. KG,KZ')
    .optional(),
  expires: z
    .string()
    .regex(/^\d+[smhd]$/, 'like 30m, 8h or 7d')
    .default('8h'),
})

function main() {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      scope: { type: 'string' },
      states: { type: 'string' },
      expires: { type: 'string' },
    },
  })
  const parsed = Args.safeParse(values)
  if (!parsed.success) {
    for (const i of parsed.error.issues) console.error(`--${i.path.join('.')}: ${i.message}`)
    process.exit(2)
  }
  const config = loadConfig(process.env)
  let secret = config.jwt.secret
  if (!secret) {
    const dir = config.databasePath === ':memory:' ? './data' : dirname(config.databasePath)
    const file = join(dir, 'jwt-secret')
    if (!existsSync(file)) {
      console.error(`No JWT_SECRET and no ${file}: start the server once (npm start) to generate it.`)
      process.exit(1)
    }
    secret = readFileSync(file, 'utf8').trim()
  }
  const a = parsed.data
  const claims: Record<string, unknown> = { scope: a.scope }
  if (a.states) claims.states = a.states.split(',')
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(a.sub)
    .setIssuedAt()
    .setExpirationTime(a.expires)
  if (config.jwt.issuer) jwt = jwt.setIssuer(config.jwt.issuer)
  if (config.jwt.audience) jwt = jwt.setAudience(config.jwt.audience)
  jwt.sign(new TextEncoder().encode(secret)).then((token) => console.log(token))
}

main()
