# The Wechaty gateway image for deploy/docker-compose.yml (build context: the repository root): gateway/
# with its own package.json and lock, installed by npm ci, started as `node gateway.js` (gateway/README.md).
FROM node:20-bookworm-slim
# a puppet the lock leaves out on purpose (its native parts fetch binaries from outside the npm registry),
# installed only when the office asks for it: --build-arg EXTRA_PUPPETS=wechaty-puppet-padlocal
ARG EXTRA_PUPPETS=""
WORKDIR /srv/gateway
COPY gateway/package.json gateway/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
    && if [ -n "$EXTRA_PUPPETS" ]; then npm install --no-save --no-audit --no-fund $EXTRA_PUPPETS; fi \
    && mkdir -p /var/lib/gateway && chown node /var/lib/gateway
COPY gateway/gateway.js ./
USER node
CMD ["node", "gateway.js"]
