#!/bin/sh
# Make the pgvector extension available to the local PostgreSQL server (the
# store's vector tests run on it): Debian's package when the configured
# suites have one, else Debian's pgvector source package built against this
# server. Does nothing without a server, as a non-root user, or when the
# extension is already there; a failed build only warns (the tests that need
# pgvector then fail under CI=true, saying so).
set -u
major=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
[ -n "$major" ] || exit 0
[ -f "/usr/share/postgresql/$major/extension/vector.control" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "pgvector missing: run 'make install' as root to install it" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive

build() {
    # Only a source suite is added: nothing binary changes what gets installed.
    printf '%s\n' "Types: deb-src" "URIs: http://deb.debian.org/debian" \
        "Suites: trixie" "Components: main" \
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" \
        > /etc/apt/sources.list.d/stategraph-pgvector-src.sources
    apt-get update -q >/dev/null || return 1
    apt-get install -y -q "postgresql-server-dev-$major" make gcc >/dev/null || return 1
    work=$(mktemp -d)
    (
        cd "$work" &&
        apt-get source --download-only pgvector >/dev/null 2>&1 &&
        tar xzf pgvector_*.orig.tar.gz &&
        cd pgvector-*/ &&
        # OPTFLAGS="": no -march=native, so the build runs on any x86-64 CPU.
        make -s PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" OPTFLAGS="" &&
        make -s PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" install
    ) >/dev/null
    status=$?
    rm -rf "$work"
    return $status
}

if apt-get install -y -q "postgresql-$major-pgvector" >/dev/null 2>&1; then
    exit 0
fi
if build; then
    echo "pgvector built from Debian's source package for PostgreSQL $major"
else
    echo "warning: could not install pgvector for PostgreSQL $major" >&2
fi
exit 0
