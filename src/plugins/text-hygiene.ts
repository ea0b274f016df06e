import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { refuseIllFormedText } from '../lib/text-hygiene.js'

/**
 * Every parsed input of every route (path parameters, query, headers, and the body at any
 * depth, JSON import rows included) must be well-formed Unicode: a 400 naming each field that
 * is not, before validation and before anything is written. It runs after the token checks, so
 * 401 and 403 still come first.
 */
const textHygiene: FastifyPluginAsync = async (app) => {
  app.addHook('preValidation', async (request) => {
    refuseIllFormedText([
      // Stryker disable next-line all: no request can carry a lone surrogate in a path parameter (percent-decoding an encoded one fails, and the text stays as sent); checked in case a parser ever changes
      ['params', request.params],
      // Stryker disable next-line all: likewise for the query string
      ['query', request.query],
      ['headers', request.headers],
      ['', request.body],
    ])
  })
}

export const textHygienePlugin = fp(textHygiene, { name: 'text-hygiene', dependencies: ['auth'] })
