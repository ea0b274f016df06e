# syntax=docker/dockerfile:1
#
# pocdir: the UNSCR 1540 Points-of-Contact directory service.
#
#   docker build -t pocdir .
#   docker run -d --name pocdir -p 3000:3000 -v pocdir-data:/data pocdir
#
# The image runs the compiled JavaScript (dist/), not tsx. Layout inside the image:
#   /app/dist        compiled src/ (dist/server.js, the entry point, and the worker entries are
#                    bundles; node_modules still holds what they load by name: better-sqlite3,
#                    the documentation's plugins, the libraries loaded on first use)
#   /app/console/dist the staff console, served at /console/
#   /app/migrations  SQL migrations; dist/db/migrate.js finds them as ../../migrations
#   /data            the SQLite database and, when no JWT key is configured, jwt-secret

############################################################################ build
FROM node:22-bookworm-slim AS build

# better-sqlite3 is a native module: node-gyp needs these when no prebuilt binary fits.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so the (slow) native build is cached until the lockfile changes.
COPY package.json package-lock.json ./
RUN npm ci

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The staff console (console/ -> console/dist), typed from the committed contract; npm ci's
# `prepare` skipped it above (nothing of it was copied yet).
COPY openapi ./openapi
COPY console ./console
COPY scripts/build-console.ts scripts/bundle.ts ./scripts/
# tsc -p tsconfig.build.json -> dist/, then scripts/bundle.ts replaces dist/server.js and the
# three worker entries with bundles of themselves (start-up to ready is a measured bar).
RUN npm run build \
  && npm run console:build \
  && npm prune --omit=dev

########################################################################## runtime
FROM node:22-bookworm-slim AS runtime

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_PATH=/data/pocdir.db

# Node 22's on-disk code cache: every start after the first skips compiling the modules
# (start-up to ready is a measured bar). Unwritable or absent, Node quietly goes without.
ENV NODE_COMPILE_CACHE=/tmp/node-compile-cache

WORKDIR /app

# Application files stay owned by root (read-only to the service); only /data is writable.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/console/dist ./console/dist
COPY migrations ./migrations
COPY package.json ./
# `npx pocdir …`: bin/pocdir.js runs dist/cli/pocdir.js when there is no src/.
COPY bin ./bin

RUN mkdir -p /data && chown node:node /data
VOLUME /data

USER node
EXPOSE 3000

# The slim image has no curl; Node's built-in fetch does the probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node runs as PID 1 and receives SIGTERM directly: the server stops accepting connections,
# finishes in-flight requests (up to 10 s) and closes the database.
# A young generation of at most 8 MB per semi-space, and a 512 MB old generation (V8 then lets
# the heap grow about 1.4x between full collections instead of up to 4x), keep memory under load
# well below 200 MB at the same throughput (npm run bench measures the service started this way).
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=512", "dist/server.js"]
