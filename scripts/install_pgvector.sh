#!/bin/sh
# Make the pgvector extension available to the local PostgreSQL (the store's
# vector tests run on it). Debian's package when the configured suites have
# one; otherwise Debian's pgvector source package, built against this server.
# Does nothing without PostgreSQL, as a non-root user, or when already there.
set -eu
PG_CONFIG=$(ls -d /usr/lib/postgresql/*/bin/pg_config 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$PG_CONFIG" ] || PG_CONFIG=$(command -v pg_config || true)
[ -n "$PG_CONFIG" ] || exit 0
[ -f "$("$PG_CONFIG" --sharedir)/extension/vector.control" ] && exit 0
[ "$(id -u)" = 0 ] || { echo "pgvector missing: run 'make install' as root to build it" >&2; exit 0; }
major=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
export DEBIAN_FRONTEND=noninteractive
dpkg -s "postgresql-$major-pgvector" >/dev/null 2>&1 && exit 0
if apt-get install -y -q "postgresql-$major-pgvector" >/dev/null 2>&1; then exit 0; fi
# Only source packages are added (no binary suite changes what gets installed).
cat > /etc/apt/sources.list.d/stategraph-pgvector-src.sources <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt-get update -q >/dev/null
apt-get install -y -q "postgresql-server-dev-$major" make gcc >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get source --download-only pgvector >/dev/null 2>&1
tar xzf pgvector_*.orig.tar.gz
cd pgvector-*/
# OPTFLAGS="": no -march=native, so the build runs on any x86-64 machine.
PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config"
make -s PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >/dev/null
make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
echo "pgvector built from Debian's source package for PostgreSQL $major"
