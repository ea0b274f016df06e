import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'

export const API_TITLE = 'pocdir: UNSCR 1540 Points-of-Contact directory'

/** The OpenAPI document is generated from the route schemas; /openapi.json serves it. */
const docs: FastifyPluginAsync = async (app) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: API_TITLE,
        version: '1.0.0',
        description:
          'States, organizations, roles, contacts and their tenure (assignments) for the national ' +
          'Points of Contact under UN Security Council resolution 1540. Errors are RFC 9457 ' +
          'application/problem+json. Lists page with an opaque cursor. Single resources carry ' +
          'ETag: "<version>"; PATCH and DELETE honour If-Match.',
        license: { name: 'Proprietary' },
      },
      tags: [
        { name: 'States', description: 'UN member states and the Holy See (seeded; admins edit)' },
        { name: 'Organizations', description: 'Ministries, agencies and international bodies' },
        { name: 'Roles', description: 'Kinds of post, e.g. national-poc (admins edit)' },
        { name: 'Contacts', description: 'People; restricted details need directory:read' },
        { name: 'Assignments', description: 'Tenures that make a contact a PoC' },
        { name: 'Operations', description: 'Health and readiness' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'Scopes in the space-separated `scope` claim: directory:read, directory:write, ' +
              'directory:import, directory:admin. An optional `states` claim (array of ' +
              'alpha-2 codes) limits writes to those states.',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  })
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}

export const swaggerPlugin = fp(docs, { name: 'swagger' })
