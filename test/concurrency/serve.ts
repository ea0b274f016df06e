import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/client.js'

/**
 * One service process over a database file another process serves too, run by the
 * concurrency tests (not a test itself). It tells its parent over IPC when it listens and
 * when each request arrives, so the parent knows both racing requests are in flight.
 */
const config = loadConfig(process.env)
const db = openDatabase(config.databasePath)
const app = await buildApp({ config, db })
app.server.prependListener('request', () => process.send?.({ arrived: true }))
const url = await app.listen({ port: 0, host: '127.0.0.1' })
process.send?.({ ready: url })
process.on('disconnect', () => {
  app.close().then(() => {
    db.$client.close()
    process.exit(0)
  })
})
