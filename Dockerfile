# syntax=docker/dockerfile:1
# Fleet API container image: compiled in a build stage, run from production dependencies only,
# as the unprivileged `node` user. `node dist/src/server.js` is the entry; the Helm chart runs
# `node dist/src/cli/migrate.js up --env=production` from the same image as its migration job.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY schema ./schema
COPY db ./db
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3001
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3001
# --max-semi-space-size=16: V8 sizes the young generation from the machine's memory (128 MB of it
# on a 24 GB node); capped, RSS under load is about 100 MB lower at the same throughput
# (README, start-up and memory).
CMD ["node", "--max-semi-space-size=16", "--import", "./dist/src/telemetry/instrument.js", "dist/src/server.js"]
