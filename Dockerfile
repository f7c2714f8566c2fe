# syntax=docker/dockerfile:1
# The rollscale controller image: `docker build -t rollscale .`
#
#   wasm   Go → cuelang-wasm/dist/cue.wasm (the CUE engine the Application controller renders with)
#   build  TypeScript → dist/ (tsc, as `npm run build`)
#   deps   production node_modules only
#   final  a Node LTS slim image running `node dist/controllers/main.js` as a non-root user; it
#          writes nothing at run time, so the root filesystem can be mounted read-only.
#
# test/unit/docker/dockerfile.test.ts runs these stages' commands on a copy of the repository and
# compares what they produce with `npm run build`.

FROM golang:1.26-bookworm AS wasm
WORKDIR /src
COPY cuelang-wasm/go/go.mod cuelang-wasm/go/go.sum cuelang-wasm/go/
RUN cd cuelang-wasm/go && go mod download
COPY cuelang-wasm/build.sh cuelang-wasm/
COPY cuelang-wasm/go/ cuelang-wasm/go/
RUN bash cuelang-wasm/build.sh

FROM node:22-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY controllers/ controllers/
COPY cuelang-wasm/ cuelang-wasm/
RUN npx tsc -p tsconfig.build.json

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules/ node_modules/
COPY package.json ./
COPY --from=build /src/dist/controllers/ dist/controllers/
COPY --from=build /src/dist/cuelang-wasm/ dist/cuelang-wasm/
COPY --from=wasm /src/cuelang-wasm/dist/cue.wasm /src/cuelang-wasm/dist/wasm_exec.js cuelang-wasm/dist/
# Files the compiled code reads next to itself (tsc copies only JavaScript).
COPY controllers/metrics/grpc/proto/ dist/controllers/metrics/grpc/proto/
# For `--install` (CRDs and definitions, read under the directory holding package.json).
COPY definitions/crds/ definitions/crds/
COPY definitions/generated/ definitions/generated/
# nonroot: a numeric uid, so runAsNonRoot can verify it.
USER 65532:65532
# probes and /metrics, the metrics gRPC service, the readiness-gate webhook
EXPOSE 8080 9090 9443
ENTRYPOINT ["node", "dist/controllers/main.js"]
