# Build stage: the same cargo build CI proves (cargo build --release --locked).
FROM rust:1-bookworm AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cargo build --release --locked --bin fanfare

# Runtime stage: Debian slim with libpq, a non-root user, production config.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /app --uid 10001 fanfare
WORKDIR /app
COPY --from=build /src/target/release/fanfare /usr/local/bin/fanfare
COPY config ./config
RUN mkdir -p /app/data/uploads && chown -R fanfare:fanfare /app
USER fanfare
ENV FANFARE_ENV=production
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
CMD ["fanfare", "serve"]
