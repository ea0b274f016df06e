/** The public configuration document the service serves at /console/config.json. */
export interface ConsoleConfig {
  oidc: { issuer: string; clientId: string; scopes: string; resource: string | null } | null
}

let loaded: Promise<ConsoleConfig> | undefined

export function consoleConfig(): Promise<ConsoleConfig> {
  loaded ??= fetch('/console/config.json').then(async (r) => {
    if (!r.ok) throw new Error(`config.json answered ${r.status}`)
    return (await r.json()) as ConsoleConfig
  })
  return loaded
}
