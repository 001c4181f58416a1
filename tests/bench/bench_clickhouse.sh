#!/bin/bash
# tests/bench/bench_clickhouse.sh O: the incremental ClickHouse export, for
# make bench.  Prints "bench NAME VALUE UNIT ANCHOR=VALUE ratio=X" and
# asserts nothing.  A clickhouse-server is started here on free loopback
# ports (as tests/integration/clickhouse.sh does) and stopped on exit.
#   clickhouse_export_rows_s  `tip export --format clickhouse --url --table`
#       of a generated store set (mkyear, 3 sensors, DAYS days of hourly
#       segments) into an empty table: rows by wall time, the journal's
#       fsyncs and the HTTP requests included.  Anchor: clickhouse-client
#       inserting the same rows from one JSONEachRow file (tip export -o)
#       into another empty table of the same schema.
# Environment: DAYS (30).  Exit 1 only when something could not run.
set -u
O=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
DAYS=${DAYS:-30}
tip=$O/tip
server=$(command -v clickhouse-server || ls /usr/sbin/clickhouse-server 2>/dev/null)
client=$(command -v clickhouse-client)
if [ ! -x "$tip" ] || [ ! -x "$O/tests/mkyear" ] || [ -z "$server" ] || [ -z "$client" ]; then
	echo "bench_clickhouse.sh: tip, mkyear, clickhouse-server and clickhouse-client are needed" >&2
	exit 1
fi
d=$(mktemp -d "$O/bench-ch.XXXXXX") && d=$(cd "$d" && pwd) || exit 1
pid=""
stop() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$d"
}
trap stop EXIT
# two free loopback ports (bound and released: the kernel picks them)
read -r http_port tcp_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
mkdir -p "$d/ch/data" "$d/ch/tmp" "$d/ch/user_files" "$d/ch/format_schemas" "$d/ch/log"
cat >"$d/ch/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/ch/log/server.log</log><errorlog>$d/ch/log/error.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$http_port</http_port>
  <tcp_port>$tcp_port</tcp_port>
  <path>$d/ch/data/</path>
  <tmp_path>$d/ch/tmp/</tmp_path>
  <user_files_path>$d/ch/user_files/</user_files_path>
  <format_schema_path>$d/ch/format_schemas/</format_schema_path>
  <users_config>$d/ch/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
</yandex>
EOF
cat >"$d/ch/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
  </interval></default></quotas>
</yandex>
EOF
(cd "$d/ch" && exec "$server" --config-file="$d/ch/config.xml") >"$d/ch/stdout" 2>&1 &
pid=$!
ch() { "$client" --host 127.0.0.1 --port "$tcp_port" "$@"; }
up=0
for _ in $(seq 1 300); do
	if ! kill -0 "$pid" 2>/dev/null; then break; fi
	if ch --query 'SELECT 1' >/dev/null 2>&1; then up=1; break; fi
	sleep 0.1
done
if [ $up = 0 ]; then
	why=$(cat "$d/ch/log/error.log" "$d/ch/stdout" 2>/dev/null | grep -v '^Logging' | tail -n 1)
	kill -0 "$pid" 2>/dev/null && why="no answer on 127.0.0.1:$tcp_port after 30 s${why:+ ($why)}"
	echo "bench_clickhouse.sh: the server did not start: ${why:-no message}" >&2
	exit 1
fi
echo "# clickhouse $(ch --query "SELECT version()")"
ch --multiquery <"$root/doc/clickhouse.sql" || exit 1
ch --query 'CREATE TABLE tip.inc AS tip.dns' && ch --query 'CREATE TABLE tip.file AS tip.dns' || exit 1
"$O/tests/mkyear" "$d/st" --sensors 3 --hours $((DAYS * 24)) >/dev/null || exit 1
"$tip" export --format clickhouse --store "$d/st" -o "$d/x.json" 2>/dev/null
rows=$(wc -l <"$d/x.json")
now_ns() { date +%s%N; }
t0=$(now_ns)
ch --query 'INSERT INTO tip.file FORMAT JSONEachRow' <"$d/x.json" || exit 1
t1=$(now_ns)
"$tip" export --format clickhouse --url "http://127.0.0.1:$http_port/" --table tip.inc --store "$d/st" >"$d/out" 2>&1 || { cat "$d/out" >&2; exit 1; }
t2=$(now_ns)
n=$(ch --query 'SELECT count() FROM tip.inc')
[ "$n" = "$rows" ] || echo "# warning: the export sent $n rows, the file has $rows"
rs() { awk -v n="$1" -v ns="$2" 'BEGIN { printf "%.0f", (ns > 0 ? n / (ns / 1e9) : 0) }'; }
a=$(rs "$rows" $((t1 - t0)))
x=$(rs "$n" $((t2 - t1)))
segs=$(ls "$d"/st/*/log/*.tlog | wc -l)
echo "bench clickhouse_export_rows_s $x rows/s clickhouse_client_rows_s=$a ratio=$(awk -v a="$x" -v b="$a" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }') ($n rows, $segs segments, $(tail -1 "$d/out" | sed 's/^tip export: //'))"
