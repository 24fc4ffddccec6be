import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'

/** The OpenAPI document at /api/docs/json, made from the routes' schemas, and its viewer. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: { title: 'Parley node API', version: '1' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'parley_session' },
          // An API token bound to one officer (parley officer token create): `parley_pat_…`.
          apiToken: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  })
  await app.register(async (docs) => {
    // The documentation is public; every other route states who may call it.
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, auth: 'public' }
    })
    await docs.register(swaggerUi, { routePrefix: '/api/docs' })
  })
}
