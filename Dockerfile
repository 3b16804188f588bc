# Titanic ETL + survival-prediction service: one image, three binaries.
#   default command: titanic-api (port 5000)
#   titanic-etl FILE | --migrate | --generate N --seed S, and titanic-train [--score], as the command.
# The base images are build arguments, so the image can be built where no registry is reachable
# (infra/tests/image/run.sh builds it from a debootstrap'ed Debian 12 imported into podman).
# SOURCE_URL, GIT_REVISION, VERSION and CREATED (CI passes the repository URL, the commit, the
# version and the build time) become the OCI labels; GIT_REVISION is also compiled in
# (-DTITANIC_GIT_REVISION).
ARG BUILD_IMAGE=debian:bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim
ARG SOURCE_URL=unknown
ARG GIT_REVISION=unknown
ARG VERSION=dev
ARG CREATED=unknown

# --- build: compile with CMake (Release) and run the unit tests that need no database ----------
FROM ${BUILD_IMAGE} AS build
ARG DEBIAN_FRONTEND=noninteractive
ARG GIT_REVISION
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libpq-dev libcsv-dev libgsl-dev libmicrohttpd-dev libjansson-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTITANIC_GIT_REVISION="${GIT_REVISION}" \
 && cmake --build build -j"$(nproc)" \
 && ctest --test-dir build -L unit --output-on-failure \
 && DESTDIR=/out cmake --install build --prefix /usr/local \
 && strip --strip-unneeded /out/usr/local/bin/titanic-etl /out/usr/local/bin/titanic-api \
      /out/usr/local/bin/titanic-train

# --- runtime: only the shared libraries, CA certificates, the binaries and the migrations ------
FROM ${RUNTIME_IMAGE} AS runtime
ARG DEBIAN_FRONTEND=noninteractive
ARG SOURCE_URL
ARG GIT_REVISION
ARG VERSION
ARG CREATED
# 1 in CI: the build fails unless the RDS CA bundle was put in infra/certs (infra/certs/README.md).
ARG REQUIRE_RDS_CA=0
LABEL org.opencontainers.image.title="titanic" \
      org.opencontainers.image.description="Titanic ETL and survival-prediction service (titanic-api, titanic-etl, titanic-train)" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.revision="${GIT_REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.created="${CREATED}"
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpq5 libcsv3 libgsl27 libgslcblas0 libmicrohttpd12 libjansson4 ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
 && groupadd --system --gid 10001 titanic \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin titanic
COPY --from=build /out/usr/local/bin/ /usr/local/bin/
COPY --from=build /out/usr/local/share/titanic/ /usr/local/share/titanic/
# The RDS CA bundle: PGSSLROOTCERT and the URLs' sslrootcert point here (sslmode=verify-full).
COPY infra/certs/ /usr/local/share/titanic/certs/
RUN if [ "$REQUIRE_RDS_CA" = 1 ] && ! grep -q 'BEGIN CERTIFICATE' /usr/local/share/titanic/certs/rds-global-bundle.pem; then \
      echo "no RDS CA bundle in infra/certs/rds-global-bundle.pem (infra/certs/README.md)" >&2; exit 1; \
    fi
# Fail the build if a binary needs a library the runtime stage does not carry.
RUN if ldd /usr/local/bin/titanic-* | grep 'not found'; then exit 1; fi
ENV PORT=5000 \
    BIND=0.0.0.0
# A fixed non-root uid/gid, so Kubernetes' runAsNonRoot can verify it (numeric USER).
USER 10001:10001
WORKDIR /tmp
EXPOSE 5000
STOPSIGNAL SIGTERM
CMD ["titanic-api"]
