# change-policy: the webhook server. Small image, production dependencies only, non-root.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# Capping the old space (128 MB) and the young generation (4 MB semi-spaces) keeps peak RSS at
# 137-145 MB under the benchmark's load (235-248 MB with no caps) for ~20% more CPU; the
# Deployment's memory limit is 256 Mi.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    LOG_LEVEL=info \
    NODE_OPTIONS="--max-old-space-size=128 --max-semi-space-size=4"
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json app.yml ./
# The evidence ledger's SQLite file when DATABASE_URL is not set (one replica): keep /data on a volume,
# or every new container starts an empty ledger. The only directory the app's user may write.
ENV DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
VOLUME ["/data"]
# The code belongs to root and is read-only for the user that runs it.
USER node
EXPOSE 3000
# No curl in the slim image: node itself asks /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/server.js"]
