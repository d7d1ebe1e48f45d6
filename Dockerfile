# One image for the worker and the API; docker-compose.yml picks the command.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# The worker bundles workflow code at start-up from dist/workflows; nothing else is read from the tree.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# the operator CLI: `docker run --rm <image> node bin/lke-rotator.js --help` (it runs dist/cli/main.js)
COPY bin ./bin
# The kubeconfig directory (KUBECONFIG_DIR in docker-compose.yml) exists in the image owned by the
# non-root user: a named volume mounted there copies that ownership, where it would be root's.
RUN mkdir -p /var/lib/lke-rotator/kubeconfigs && chown -R node:node /var/lib/lke-rotator
USER node
CMD ["node", "dist/worker/main.js"]
