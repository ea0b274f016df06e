import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Config } from '../../config.js'
import type { Db } from '../../db/client.js'
import { writeContext } from '../../lib/crud-routes.js'
import { ProblemSchema } from '../../lib/schemas.js'
import { writeTurn } from '../../lib/write-turn.js'
import { requireScope } from '../../plugins/auth.js'
import type { ImportFormat } from './import-parse.js'
import { importRunner } from './import-runner.js'
import { IMPORT_COLUMNS, ImportQuery, ImportResult } from './imports-schemas.js'

const FORMATS: Record<string, ImportFormat> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  // Stryker disable next-line StringLiteral: parseImportBody reads every format but csv and ndjson as JSON
  'application/json': 'json',
}

export const importsRoutes: FastifyPluginAsyncZod<{ db: Db; config: Config }> = async (
  app,
  { db, config },
) => {
  // JSON too is read as text here (in this route's context only, by the parsers below: Fastify 5
  // lets a context replace the default JSON parser), so that a key named twice in a row is
  // refused like a CSV column named twice instead of JSON.parse keeping the last.
  // Parsing, validation and the write run on the import worker, in the write turn: reads go on.
  const runner = importRunner(db, config.importWorkerMemoryMb)
  app.addHook('onClose', () => runner.close())
  // Only a listening service keeps a spare worker (app.inject in tests starts one per import).
  app.addHook('onListen', async () => runner.keepWarm())
  for (const type of ['text/csv', 'application/x-ndjson', 'application/json']) {
    app.addContentTypeParser(
      type,
      { parseAs: 'string', bodyLimit: config.importBodyLimit },
      (_req, body, done) => done(null, body),
    )
  }

  app.post(
    '/v1/imports',
    {
      bodyLimit: config.importBodyLimit,
      config: { scope: 'directory:import' },
      // After the token and scope checks (the app's preParsing hook), before the body is read.
      preParsing: async (_request, _reply, payload) => {
        runner.warm()
        return payload
      },
      schema: {
        tags: ['Imports'],
        operationId: 'importRows',
        summary: 'Bulk import directory rows (CSV, NDJSON or a JSON array)',
        description:
          `One row per person in a role; columns ${IMPORT_COLUMNS.join(', ')}. CSV has a header row, ` +
          'comma or semicolon separated, UTF-8 with or without BOM. An empty cell means not given. ' +
          'All-or-nothing: 422 lists every bad row. Re-importing the same rows changes nothing. ' +
          'Needs directory:import (or admin); a states-limited token may import only rows of its states.',
        security: [
          // Stryker disable next-line ObjectLiteral,ArrayDeclaration: openapi-polish rewrites a non-empty security list from the route's scope; only the list's length counts
          { bearerAuth: [] },
        ],
        consumes: Object.keys(FORMATS),
        querystring: ImportQuery,
        // The bounds are this deployment's (IMPORT_BODY_LIMIT in bytes bounds the characters too,
        // IMPORT_MAX_ROWS the rows), so the contract it serves states them; what exceeds them is 413.
        body: z
          .union([
            z
              .string()
              .max(config.importBodyLimit)
              .describe(
                'CSV (text/csv) or NDJSON (application/x-ndjson) text, within IMPORT_BODY_LIMIT bytes',
              ),
            // Elements are checked row by row (422 naming the row), not here.
            z
              .array(z.unknown())
              .max(config.importMaxRows)
              .describe('A JSON array of rows (objects of columns), at most IMPORT_MAX_ROWS of them'),
          ])
          .meta({
            example: [
              {
                stateCode: 'KG',
                organization: 'Ministry of Foreign Affairs',
                role: 'national-poc',
                externalId: 'kg-001',
                givenName: 'Asan',
                familyName: 'Zhumabekov',
                nameOriginal: 'Асан Жумабеков',
                email: 'a.zhumabekov@mfa.gov.kg',
                phone: '0312 620545',
                startDate: '2024-03-01',
              },
            ],
          }),
        response: {
          200: ImportResult,
          400: ProblemSchema,
          401: ProblemSchema,
          403: ProblemSchema,
          413: ProblemSchema,
          415: ProblemSchema,
          422: ProblemSchema,
        },
      },
    },
    async (request) => {
      const principal = requireScope(request, 'directory:import')
      // A body reaches this handler only through the three parsers above (a missing or other
      // Content-Type is 415 first), so the header is there and names one of FORMATS' types.
      // Stryker disable next-line StringLiteral: the fallback for a missing header is never taken
      const contentType = request.headers['content-type'] ?? ''
      const mediaType = contentType.replace(/;.*/, '').trim().toLowerCase()
      const job = {
        // Stryker disable next-line StringLiteral: mediaType is always one of FORMATS' keys
        format: FORMATS[mediaType] ?? 'json',
        body: request.body,
        ctx: writeContext(request, principal),
        options: {
          dryRun: request.query.dryRun ?? false,
          limitedTo: principal.states,
          seesRestricted: principal.scopes.has('directory:read'),
        },
        maxRows: config.importMaxRows,
      }
      // An import (a dry run too: it writes, then rolls back) holds the write turn throughout.
      return writeTurn(db).run(() => runner.run(job))
    },
  )
}
