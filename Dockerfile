# syntax=docker/dockerfile:1
#
# Glassbox as one self-contained executable in a minimal image.
#
#   docker build -t glassbox .
#   docker run --rm -p 8000:8000 -v glassbox-data:/data \
#       -e GLASSBOX_ADMIN_EMAIL=you@example.com -e GLASSBOX_ADMIN_PASSWORD_FILE=/run/secrets/gb \
#       glassbox
#       (embedded PGlite database under /data; or -e DATABASE_URL=postgres://… ). The image
#       listens on all addresses, so sign-in must be configured (a first admin, or
#       GLASSBOX_OIDC_*), or it refuses to start; GLASSBOX_AUTH=off runs it open on purpose.
#
# The build needs network access: npm (Deno itself and the npm dependencies) and dl.deno.land
# (`deno compile` downloads the `denort` runtime it wraps the program in).

# ---- build: Debian + Node, Deno from npm ------------------------------------------------------
FROM node:22-bookworm-slim AS build

# Deno's cache (npm packages, denort) lives in a BuildKit cache mount, not in a layer.
ENV DENO_DIR=/cache/deno \
    NPM_CONFIG_CACHE=/cache/npm \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NO_COLOR=1

WORKDIR /src

# Fetch the pinned Deno into the cache first (source changes then do not re-download it).
RUN --mount=type=cache,target=/cache \
    npx -y deno@2.9.6 --version

COPY . .

# The `compile` task (deno.json): --node-modules-dir=none --exclude-unused-npm, embeds static/,
# writes dist/glassbox. The data directory is created here because the final image has no shell.
RUN --mount=type=cache,target=/cache \
    npx -y deno@2.9.6 task compile \
 && ./dist/glassbox --version \
 && mkdir -p /out/data \
 && cp dist/glassbox /out/glassbox

# ---- run: glibc + libgcc only, no shell, no package manager ------------------------------------
# distroless/cc has the shared libraries a `deno compile` binary links against (glibc: libc, libm,
# libdl, librt, libpthread; and libgcc_s, which distroless/base lacks), CA certificates and
# tzdata; the :nonroot tag runs as uid/gid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot

COPY --from=build --chown=65532:65532 /out/data /data
COPY --from=build --chmod=0555 /out/glassbox /usr/local/bin/glassbox

ENV PORT=8000 \
    HOST=0.0.0.0 \
    GLASSBOX_DATA=/data

USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000

# No HEALTHCHECK: this image has no shell, curl or wget to probe GET /health with, and the binary
# has no self-probe option. Use the orchestrator's HTTP probe on /health (Kubernetes ignores
# Docker HEALTHCHECK anyway). If main.ts gains e.g. `--healthcheck` (GET http://127.0.0.1:$PORT/
# health, exit 0/1), enable:
# HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
#   CMD ["/usr/local/bin/glassbox", "--healthcheck"]

ENTRYPOINT ["/usr/local/bin/glassbox"]
