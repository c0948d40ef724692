# httpd in a tiny image: a static, hardened, stripped binary and the demo site.
#   docker build -t httpd . && docker run --rm -p 8080:8080 httpd
# Tests build it from a local base image: --build-arg BASE=local/debian:bookworm
# (see tests/docker/run.sh).
ARG BASE=debian:bookworm-slim

FROM ${BASE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc make libc6-dev node-llhttp libjansson-dev libcrypt-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY include/ include/
COPY src/ src/
# the inspector's page (--inspect) is built into the binary
COPY www/_inspect/ www/_inspect/
# the release build's training client (make release: profile-guided)
COPY bench/train.c bench/
# STATIC=1: static-pie (ASLR for the whole binary; relro/now make the GOT
# read-only), stack-clash protection and CET; the release flags otherwise
# (-O2 -flto, the profile): the binary make bench measures.
# getpwnam/getaddrinfo link warnings are expected: -u takes numeric ids here and
# addresses are numeric, so no NSS module is ever loaded. make release runs the
# server on 127.0.0.1 inside the build to train its profile.
RUN make -j"$(nproc)" BUILD=/tmp/build RELEASE_BIN=/httpd STATIC=1 release \
 && strip --strip-all /httpd \
 && if readelf -l /httpd | grep -q INTERP; then echo "/httpd is not static" >&2; exit 1; fi
# COPY without BuildKit cannot --chmod: make the site world-readable here, so the
# unprivileged server can read it whatever the umask of the checkout was.
COPY www/ /out/www/
RUN chmod -R a+rX,go-w /out/www

FROM scratch
COPY --from=build /httpd /httpd
COPY --from=build /out/www/ /www/
# nobody:nogroup, numeric because the image has no /etc/passwd.
USER 65534:65534
EXPOSE 8080
# The binary is its own health check client (a scratch image has no wget):
# exit 0 when /healthz answers 2xx. Arguments given to `docker run` replace
# CMD, as busybox httpd options: keep --health (and -p 8080) for the check.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/httpd", "--probe", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/httpd"]
CMD ["-f", "-v", "-p", "8080", "-h", "/www", "--health"]
