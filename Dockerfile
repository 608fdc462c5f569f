# Passgate server image. Used by docker-compose.yml; on its own: `docker build -t passgate .`
# Configuration comes from the environment (PASSGATE_MODE, PASSGATE_DATABASE_URL,
# PASSGATE_MASTER_KEY, PASSGATE_PUBLIC_URL, PORT) or a YAML file named by PASSGATE_CONFIG.
# The image runs in production mode: it refuses to start without a master key and a gateway that
# sends passcodes (dispatch.gateways), one line naming each. PASSGATE_MODE=development to try it.
# Node.js: the major version of package.json `engines.node` (22 LTS: what oidc-provider supports).

FROM node:22-bookworm-slim AS dependencies
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary fits (offline builds, other architectures).
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Only the manifests are here yet: skip the root `prepare` (build), run the dependencies' own scripts.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
  && npm rebuild better-sqlite3 esbuild \
  && npm cache clean --force

FROM node:22-bookworm-slim
# The server runs as PID 1, with no npm or shell in between, so SIGTERM (docker stop)
# and SIGHUP (reload metadata) reach it.
ENV PASSGATE_MODE=production \
  NODE_ENV=production \
  NPM_CONFIG_UPDATE_NOTIFIER=false \
  NPM_CONFIG_FUND=false
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY . .
# `passgate` on the PATH for administration: docker compose exec passgate passgate user add alice
# The only writable place is /app/data: the SQLite database (when no PostgreSQL is configured),
# and in development mode the generated master key and the outbox.
RUN node scripts/build.js \
  && ln -s /app/bin/passgate.js /usr/local/bin/passgate \
  && mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The V8 settings of a server process: src/server/node-flags.ts.
CMD ["node", "--max-semi-space-size=8", "bin/passgate.js", "start"]
