#!/usr/bin/env bash
# Throwaway PostgreSQL and MariaDB servers for Gummer's connector tests, the
# same way on a developer's machine and in CI (Debian or Ubuntu, run as root,
# no systemd needed).
#
#   scripts/test_databases.sh install  # apt-get the servers if missing
#   scripts/test_databases.sh start    # fresh servers; prints export lines
#   scripts/test_databases.sh env      # print the export lines again
#   scripts/test_databases.sh status   # is each server accepting logins?
#   scripts/test_databases.sh stop     # stop both, delete their state
#
# `start` prints only the two `export GUMMER_TEST_..._URL=...` lines on stdout
# and every diagnostic on stderr. Capture them before `eval`, so that a failed
# start stops the caller (`eval "$(...)"` alone would hide the exit status):
#
#   urls=$(scripts/test_databases.sh start) && eval "$urls"
#
# Both servers listen on 127.0.0.1 only, on non-default ports, and keep all
# their files in one state folder. The tests log in as `gummer`, a login that
# is not a superuser on either server.
#
# Environment (defaults in brackets):
#   GUMMER_TEST_DB_DIR      state folder [/tmp/gummer-test-db]
#   GUMMER_TEST_PG_PORT     PostgreSQL port [55432]
#   GUMMER_TEST_MYSQL_PORT  MariaDB port [33306]
#   GUMMER_TEST_PASSWORD    password of `gummer` [gummer-test-password]
set -euo pipefail

STATE_DIR=${GUMMER_TEST_DB_DIR:-/tmp/gummer-test-db}
PG_PORT=${GUMMER_TEST_PG_PORT:-55432}
MYSQL_PORT=${GUMMER_TEST_MYSQL_PORT:-33306}
TEST_PASSWORD=${GUMMER_TEST_PASSWORD:-gummer-test-password}

# The login and the database the tests use, on both servers.
TEST_USER=gummer
TEST_DATABASE=gummer

# Seconds to wait for a server to start, accept a login or stop.
TIMEOUT=30

# Written by `start`; `stop` deletes only a folder that holds it, so a
# mistyped GUMMER_TEST_DB_DIR cannot make this script delete someone's files.
MARKER_NAME=.gummer-test-databases

log() { printf 'test_databases: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

# --- Paths --------------------------------------------------------------------

# The newest PostgreSQL server installed by the Debian packages: 15 on Debian
# 12, but an Ubuntu CI runner may have another version.
pg_bin_dir() {
  local initdb
  initdb=$(find /usr/lib/postgresql -path '*/bin/initdb' 2>/dev/null |
    sort -V | tail -n 1)
  printf '%s\n' "$(dirname "${initdb:-/usr/lib/postgresql/15/bin/initdb}")"
}

# /usr/sbin is not on a normal user's PATH, so look there too.
mariadbd_path() {
  command -v mariadbd 2>/dev/null || printf '%s\n' /usr/sbin/mariadbd
}

resolve_paths() {
  case $STATE_DIR in
  /*) ;;
  *) STATE_DIR=$(realpath -m -- "$STATE_DIR") ;;
  esac
  [ "$STATE_DIR" != / ] || die "GUMMER_TEST_DB_DIR must not be /"
  local port
  for port in "$PG_PORT" "$MYSQL_PORT"; do
    if ! [[ $port =~ ^[0-9]{1,5}$ ]] || [ "$port" -lt 1 ] ||
      [ "$port" -gt 65535 ]; then
      die "not a TCP port: $port (check GUMMER_TEST_PG_PORT, GUMMER_TEST_MYSQL_PORT)"
    fi
  done

  PG_BIN=$(pg_bin_dir)
  PG_STATE=$STATE_DIR/postgres # owned by postgres; also the socket folder
  PG_DATA=$PG_STATE/data
  PG_LOG=$PG_STATE/postgres.log

  MARIADBD=$(mariadbd_path)
  MY_STATE=$STATE_DIR/mariadb # owned by mysql
  MY_DATA=$MY_STATE/data
  MY_SOCKET=$MY_STATE/mysql.sock
  MY_PID_FILE=$MY_STATE/mariadbd.pid
  MY_LOG=$MY_STATE/mariadb.err
}

require_root() {
  [ "$(id -u)" -eq 0 ] ||
    die "$1 must run as root (the servers run as the postgres and mysql users); try: sudo $0 $1"
}

# --- install ------------------------------------------------------------------

# The packages to install, one for each missing binary. Only missing ones:
# `apt-get install` of an installed package would upgrade it.
missing_packages() {
  local missing=()
  [ -x "$(pg_bin_dir)/initdb" ] || missing+=(postgresql)
  [ -x "$(mariadbd_path)" ] || missing+=(mariadb-server)
  command -v mariadb >/dev/null 2>&1 || missing+=(mariadb-client)
  command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
  command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
  printf '%s\n' "${missing[*]}"
}

cmd_install() {
  local packages
  packages=$(missing_packages)
  [ -n "$packages" ] || return 0

  require_root install
  log "installing $packages"

  # The maintainer scripts ask invoke-rc.d to start the stock servers
  # (PostgreSQL's "main" cluster on 5432, MariaDB on 3306). The tests do not
  # use them, and without systemd nothing would ever stop them. Exit code 101
  # from policy-rc.d denies the start; the install succeeds all the same.
  # Docker images ship such a file; add one only for the length of this
  # install when there is none.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '%s\n' '#!/bin/sh' '# Temporary, from scripts/test_databases.sh' \
      'exit 101' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi

  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # shellcheck disable=SC2086 # one word per package
  apt-get install -y -qq --no-install-recommends $packages >&2

  packages=$(missing_packages)
  [ -z "$packages" ] || die "still missing after apt-get install: $packages"
}

require_packages() {
  local packages
  packages=$(missing_packages)
  [ -z "$packages" ] || die "not installed: $packages; run: $0 install"
}

# --- Processes ----------------------------------------------------------------

# True when pid is alive and is the named program (a pid file left over from
# a crash may name an unrelated process by now). A zombie counts as stopped:
# a server started by an earlier run has PID 1 as its parent, which may take
# a second or more to collect it.
is_running() {
  local pid=$1 name=$2 stat
  [ -n "$pid" ] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  # The fields read "<pid> (<name>) <state> ..."; state Z is a zombie.
  [[ $stat == *"($name) "[!Z]* ]]
}

wait_for_exit() {
  local pid=$1 name=$2 deadline=$((SECONDS + TIMEOUT))
  while is_running "$pid" "$name"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# True when something accepts TCP connections on 127.0.0.1:port.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

show_log_tail() {
  local file=$1
  [ -f "$file" ] || return 0
  log "last lines of $file:"
  tail -n 30 "$file" >&2
}

# --- PostgreSQL ---------------------------------------------------------------

# initdb and pg_ctl refuse to run as root. cd / because the caller's folder
# may be closed to postgres.
as_postgres() {
  (cd / && runuser -u postgres -- "$@")
}

# psql as the superuser over the Unix socket, which trusts local users.
psql_admin() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_STATE" -p "$PG_PORT" \
    -U postgres -d postgres "$@"
}

start_postgres() {
  install -d -o postgres -g postgres -m 700 "$PG_STATE"

  # initdb insists on a superuser password when TCP logins need one. Nothing
  # uses it (local socket logins are trusted); it stays here for debugging.
  local password_file=$PG_STATE/superuser-password
  random_password >"$password_file"
  chown postgres:postgres "$password_file"
  chmod 600 "$password_file"

  # --no-locale makes text sort in byte order, like SQLite and MariaDB's
  # utf8mb4_bin below. --no-sync skips flushing to disk: test data only.
  as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres \
    --pwfile="$password_file" --no-locale -E UTF8 \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync \
    >"$PG_STATE/initdb.log" 2>&1 || {
    show_log_tail "$PG_STATE/initdb.log"
    die "PostgreSQL initdb failed"
  }

  cat >>"$PG_DATA/postgresql.conf" <<EOF

# Added by scripts/test_databases.sh
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_STATE'
timezone = 'UTC'
# Throwaway test data only: these give up crash safety for speed.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$TIMEOUT" \
    start >&2 || {
    show_log_tail "$PG_LOG"
    die "PostgreSQL did not start; run: $0 stop"
  }

  # The owner of a database may create schemas in it, and since PostgreSQL 15
  # owns its public schema too; no superuser rights needed.
  psql_admin -v password="$TEST_PASSWORD" <<SQL
CREATE ROLE $TEST_USER LOGIN PASSWORD :'password';
CREATE DATABASE $TEST_DATABASE OWNER $TEST_USER;
SQL
}

stop_postgres() {
  local pid_file=$PG_DATA/postmaster.pid pid
  [ -f "$pid_file" ] || return 0
  pid=$(head -n 1 "$pid_file")
  is_running "$pid" postgres || return 0

  log "stopping PostgreSQL (pid $pid)"
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t "$TIMEOUT" \
    stop >&2 || die "PostgreSQL (pid $pid) did not stop"
}

postgres_accepts_login() {
  PGPASSWORD=$TEST_PASSWORD PGCONNECT_TIMEOUT=3 "$PG_BIN/psql" -X -At \
    -h 127.0.0.1 -p "$PG_PORT" -U "$TEST_USER" -d "$TEST_DATABASE" \
    -c 'SELECT 1' >/dev/null 2>&1
}

# --- MariaDB ------------------------------------------------------------------

# --no-defaults keeps Debian's /etc/mysql settings (datadir, socket, port)
# out. The character set and collation match PostgreSQL above: UTF-8 text
# compared byte by byte. The default without them would be latin1.
mariadbd_options() {
  printf '%s\n' \
    --no-defaults \
    --user=mysql \
    --datadir="$MY_DATA" \
    --socket="$MY_SOCKET" \
    --port="$MYSQL_PORT" \
    --bind-address=127.0.0.1 \
    --skip-name-resolve \
    --pid-file="$MY_PID_FILE" \
    --log-error="$MY_LOG" \
    --local-infile=1 \
    --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_bin \
    --default-time-zone=+00:00 \
    --innodb-buffer-pool-size=1G \
    --skip-log-bin \
    --innodb-flush-log-at-trx-commit=0 \
    --innodb-doublewrite=0
  # The buffer pool is sized as a server holding logs would be: with the
  # default 128 MiB, a million Zeek conn rows no longer fit, and an
  # analyzer's index lookups went to disk (beacons grew 46 times for 10
  # times the rows). The last three are for throwaway test data only: no
  # binary log, no flush per commit, no doublewrite buffer.
}

# The mariadb client as root over the socket. mariadb-install-db above made
# root@localhost a Unix socket login (the OS user root, no password) and no
# other superuser: without --auth-root-socket-user, --user=mysql would add
# mysql@localhost too, and "normal" would add a passwordless root over TCP.
mariadb_admin_sql() {
  mariadb --no-defaults --socket="$MY_SOCKET" -u root
}

# A string literal for MariaDB SQL.
sql_string() {
  local quote="'" text=${1//\\/\\\\}
  printf "'%s'" "${text//$quote/$quote$quote}"
}

start_mariadb() {
  # Open to all, so that non-root tests may use the socket too: every login
  # there needs a password, except root, which needs the OS user root.
  install -d -o mysql -g mysql -m 755 "$MY_STATE"

  mariadb-install-db --no-defaults --user=mysql --datadir="$MY_DATA" \
    --auth-root-authentication-method=socket --auth-root-socket-user=root \
    --skip-test-db --skip-name-resolve \
    >"$MY_STATE/install-db.log" 2>&1 || {
    show_log_tail "$MY_STATE/install-db.log"
    die "mariadb-install-db failed"
  }

  # mariadbd writes its log as mysql, so the file must belong to mysql. Early
  # errors, before it opens that log, go to stderr, hence the same file.
  # setsid detaches it from this script's session; closing stdout matters so
  # that `$(scripts/test_databases.sh start)` returns.
  install -o mysql -g mysql -m 640 /dev/null "$MY_LOG"
  log "starting MariaDB on 127.0.0.1:$MYSQL_PORT"
  local options
  mapfile -t options < <(mariadbd_options)
  setsid "$MARIADBD" "${options[@]}" </dev/null >>"$MY_LOG" 2>&1 &
  local pid=$! deadline=$((SECONDS + TIMEOUT))

  until mariadb-admin --no-defaults --socket="$MY_SOCKET" -u root \
    --connect-timeout=2 ping >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      show_log_tail "$MY_LOG"
      die "MariaDB did not start; run: $0 stop"
    fi
    sleep 0.1
  done

  # Tests connect over TCP (host 127.0.0.1) and may use the socket
  # (localhost), so the login exists for both. `gummer\_%` lets them create
  # throwaway databases named gummer_<something>; the backslash keeps `_`
  # from being a wildcard. LOCAL INFILE needs no FILE privilege.
  local password db=$TEST_DATABASE user host
  password=$(sql_string "$TEST_PASSWORD")
  # shellcheck disable=SC2016 # the backticks quote MariaDB names
  {
    printf 'CREATE DATABASE `%s`;\n' "$db"
    for host in 127.0.0.1 localhost; do
      user="'$TEST_USER'@'$host'"
      printf 'CREATE USER %s IDENTIFIED BY %s;\n' "$user" "$password"
      printf 'GRANT ALL PRIVILEGES ON `%s`.* TO %s;\n' "$db" "$user"
      printf 'GRANT ALL PRIVILEGES ON `%s\\_%%`.* TO %s;\n' "$db" "$user"
    done
  } | mariadb_admin_sql
}

stop_mariadb() {
  local pid
  [ -f "$MY_PID_FILE" ] || return 0
  pid=$(cat "$MY_PID_FILE")
  is_running "$pid" mariadbd || return 0

  # SIGTERM is MariaDB's normal shutdown. `mariadb-admin shutdown` does the
  # same but then polls only once a second.
  log "stopping MariaDB (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  wait_for_exit "$pid" mariadbd || die "MariaDB (pid $pid) did not stop"
}

mariadb_accepts_login() {
  MYSQL_PWD=$TEST_PASSWORD mariadb --no-defaults --protocol=tcp \
    --connect-timeout=3 -h 127.0.0.1 -P "$MYSQL_PORT" -u "$TEST_USER" \
    -e 'SELECT 1' "$TEST_DATABASE" >/dev/null 2>&1
}

# --- Shared -------------------------------------------------------------------

random_password() {
  od -An -tx1 -N16 /dev/urandom | tr -d ' \n'
  echo
}

# Percent-encodes text for the user-info part of a URL, so that any
# GUMMER_TEST_PASSWORD gives a valid URL and a line that is safe to eval.
url_encode() {
  local LC_ALL=C text=$1 out='' char i
  for ((i = 0; i < ${#text}; i++)); do
    char=${text:i:1}
    case $char in
    [A-Za-z0-9._~-]) out+=$char ;;
    *) out+=$(printf '%%%02X' "'$char") ;;
    esac
  done
  printf '%s\n' "$out"
}

print_env() {
  local password
  password=$(url_encode "$TEST_PASSWORD")
  local credentials=$TEST_USER:$password
  echo "export GUMMER_TEST_POSTGRES_URL=postgres://$credentials@127.0.0.1:$PG_PORT/$TEST_DATABASE"
  echo "export GUMMER_TEST_MYSQL_URL=mysql://$credentials@127.0.0.1:$MYSQL_PORT/$TEST_DATABASE"
}

wait_for_logins() {
  local deadline=$((SECONDS + TIMEOUT))
  until postgres_accepts_login; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      show_log_tail "$PG_LOG"
      die "PostgreSQL does not accept $TEST_USER's login on 127.0.0.1:$PG_PORT"
    fi
    sleep 0.2
  done
  until mariadb_accepts_login; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      show_log_tail "$MY_LOG"
      die "MariaDB does not accept $TEST_USER's login on 127.0.0.1:$MYSQL_PORT"
    fi
    sleep 0.2
  done
}

# Deletes the state folder, but only one that `start` made (or an empty one).
remove_state_dir() {
  [ -e "$STATE_DIR" ] || return 0
  if [ ! -e "$STATE_DIR/$MARKER_NAME" ] &&
    [ -n "$(ls -A "$STATE_DIR" 2>/dev/null)" ]; then
    die "$STATE_DIR was not made by this script; not deleting it (check GUMMER_TEST_DB_DIR)"
  fi
  rm -rf -- "$STATE_DIR"
}

# --- Commands -----------------------------------------------------------------

cmd_stop() {
  require_root stop
  stop_postgres
  stop_mariadb
  remove_state_dir
}

cmd_start() {
  require_root start
  require_packages
  # Servers from an earlier start in the same folder go first.
  cmd_stop

  local port
  for port in "$PG_PORT" "$MYSQL_PORT"; do
    if port_in_use "$port"; then
      die "port $port on 127.0.0.1 is taken (by a server whose state folder is gone? see: ss -ltnp)"
    fi
  done

  # World-searchable so postgres and mysql reach their own subfolders.
  install -d -m 755 "$STATE_DIR"
  touch "$STATE_DIR/$MARKER_NAME"
  runuser -u postgres -- test -x "$STATE_DIR" ||
    die "postgres cannot enter $STATE_DIR; choose another GUMMER_TEST_DB_DIR"

  # initdb and mariadb-install-db take most of the time, and the servers are
  # independent: set them up side by side. stdout carries only the export
  # lines, so PostgreSQL's setup writes to stderr.
  start_postgres >&2 &
  local postgres_setup=$!
  start_mariadb
  wait "$postgres_setup" || exit 1

  wait_for_logins
  log "both servers accept $TEST_USER's login; state in $STATE_DIR"
  print_env
}

cmd_status() {
  local status=0
  if postgres_accepts_login; then
    echo "PostgreSQL: up on 127.0.0.1:$PG_PORT"
  else
    echo "PostgreSQL: down (no login as $TEST_USER on 127.0.0.1:$PG_PORT)"
    status=1
  fi
  if mariadb_accepts_login; then
    echo "MariaDB: up on 127.0.0.1:$MYSQL_PORT"
  else
    echo "MariaDB: down (no login as $TEST_USER on 127.0.0.1:$MYSQL_PORT)"
    status=1
  fi
  return "$status"
}

usage() {
  echo "usage: $0 install|start|stop|env|status" >&2
  exit 2
}

main() {
  [ $# -eq 1 ] || usage
  resolve_paths
  case $1 in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) print_env ;;
  status) cmd_status ;;
  *) usage ;;
  esac
}

main "$@"
