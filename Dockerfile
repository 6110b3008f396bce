# syntax=docker/dockerfile:1
# netprobe image: Node 26 LTS on Debian slim, built in two stages.
# Build:  docker build -t netprobe:0.1.0 .
# Run:    the DaemonSet in deploy/kubernetes/base passes `run --config /etc/netprobe/config.yaml`.
#
# Both stages use the same Debian release, so the ICMP addon built in the
# first one links against the same glibc the second one runs.
ARG NODE_IMAGE=node:26-trixie-slim

FROM ${NODE_IMAGE} AS build
# node-gyp needs python3, make and a C compiler for the addons (native/: ICMP, DNS UDP, TCP connect).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json binding.gyp tsconfig.json ./
COPY native/ native/
COPY scripts/build.mjs scripts/
COPY src/ src/
# A full install first: npm runs `node-gyp rebuild` for binding.gyp (against
# this image's own Node headers) and then `prepare`, which bundles src/ into
# dist/ with esbuild. Then the dev dependencies go (--omit=dev: no esbuild,
# TypeScript, vitest, the `node` toolchain package or test-only models).
RUN npm ci --no-audit --no-fund --nodedir=/usr/local \
 && test -f build/Release/netprobe_icmp.node \
 && test -f build/Release/netprobe_dns.node \
 && test -f build/Release/netprobe_tcp.node \
 && test -f dist/cli/main.js \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf build/Release/obj.target build/Release/.deps \
 && npm cache clean --force
COPY bin/ bin/

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/build/Release/netprobe_icmp.node build/Release/
COPY --from=build /app/build/Release/netprobe_dns.node build/Release/
COPY --from=build /app/build/Release/netprobe_tcp.node build/Release/
COPY --from=build /app/dist/ dist/
COPY --from=build /app/bin/ bin/
# A numeric non-root user (matches runAsUser in the DaemonSet, so
# runAsNonRoot can be verified). Files stay root-owned: the app only reads them.
USER 65532:65532
EXPOSE 9810
# Node runs the compiled JavaScript (no type stripping at start); SIGTERM is
# handled by the daemon itself, which stops probes and closes its listener.
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["run", "--config", "/etc/netprobe/config.yaml"]
