# Paul: the Slack app with a worker (`paul serve`), or a worker alone (`paul worker`).
FROM node:22-bookworm-slim

# git for workspaces; bubblewrap, socat and ripgrep for the command sandbox
# (@anthropic-ai/sandbox-runtime); a postgres user so the embedded database can
# run when no DATABASE_URL is given.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates bubblewrap socat ripgrep \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --shell /bin/bash postgres

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false \
 && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY tasks ./tasks
COPY migrations ./migrations
COPY manifest.yml README.md tsconfig.json ./

ENV PAUL_HOME=/data
VOLUME /data
EXPOSE 3000
ENTRYPOINT ["node", "src/cli/main.ts"]
CMD ["serve"]
