-- TIP DNS observations in ClickHouse: the table `tip export --format
-- clickhouse` writes rows for (JSONEachRow, one row per observation).
-- Checked against ClickHouse 18.16 (Debian 12's clickhouse-server) by
-- tests/integration/clickhouse.sh; newer servers accept it as it is.
--
--   clickhouse-client --multiquery < doc/clickhouse.sql
--   tip export --format clickhouse --store DIR |
--       clickhouse-client --query "INSERT INTO tip.dns FORMAT JSONEachRow"
--
-- One row is one observation as the store holds it: one lookup, or a
-- coalesced record standing for `count` lookups of the same answer set
-- between time_first and time_last (passive DNS imports, `tip compact`).
-- So sum(count), never count(), is the number of lookups, and sets
-- (uniqExact, groupUniqArray) are invariant under compaction.
--
-- Columns:
--   sensor      the store's sensor name (sensor.id)
--   time_first  first seen, UTC, whole seconds
--   time_last   last seen, UTC (= time_first for a single lookup)
--   first_us    first seen, microseconds since 1970 UTC
--   last_us     last seen, microseconds since 1970 UTC
--   count       lookups this row stands for (1 unless coalesced)
--   rrname      query name: lower case, no final dot; any byte a resolver
--               can carry, bytes that are not UTF-8 arrive as U+0080-U+00FF
--   rrtype      query type mnemonic ("A", "NS", "TYPE65280")
--   qtype       query type number
--   rcode       DNS rcode (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ...), or an
--               outcome that is no DNS rcode: 16 timeout, 17 malformed reply,
--               18 truncated, 19 network error
--   ttl         smallest TTL of the answer set (seconds)
--   server      the address that answered, '' when unknown
--   a           IPv4 answers (dotted quads), in answer order
--   a_asn       origin AS number of each IPv4 answer, same order as `a`
--               (from the stores' newest enrichment of the address, else
--               tip export --asn's table; 0 unknown)
--   aaaa        IPv6 answers
--   names       name answers (NS, CNAME, PTR, DNAME targets; TXT strings;
--               the text of other types)
--   segment     "<segment>#<chunk>" for rows sent by the incremental export
--               (tip export --url --table), '' for rows of a file export:
--               what makes its resend after a crash exactly-once
--
-- Incremental, from cron: every sealed segment not yet sent, state in each
-- store's state/clickhouse.<hash> (see tip export):
--   tip export --format clickhouse --url http://HOST:8123/ --table tip.dns \
--       --store /srv/tip/sensors

CREATE DATABASE IF NOT EXISTS tip;

CREATE TABLE IF NOT EXISTS tip.dns
(
    sensor      String,
    time_first  DateTime,
    time_last   DateTime,
    first_us    Int64,
    last_us     Int64,
    count       UInt64,
    rrname      String,
    rrtype      String,
    qtype       UInt16,
    rcode       UInt8,
    ttl         UInt32,
    server      String,
    a           Array(String),
    a_asn       Array(UInt32),
    aaaa        Array(String),
    names       Array(String),
    segment     String DEFAULT ''
)
ENGINE = MergeTree()
PARTITION BY toYYYYMM(time_first)
ORDER BY (rrname, time_first);

-- The running totals of every name (Holz et al.: 1.32 nA + 18.54 nASN,
-- flux above 142.38), in hundredths as tip computes them: the "running"
-- fields of `tip query flux --running`.  tip counts its sets exactly up to
-- 65,535 values a name (and says "capped" beyond); this one always counts
-- exactly.  tip's verdict is not this one but the classification
-- window's (the flux-page block below).
--
-- SELECT rrname,
--        length(groupUniqArrayArray(a)) AS hosts,
--        length(arrayFilter(x -> x != 0, groupUniqArrayArray(a_asn))) AS asns,
--        132 * hosts + 1854 * asns AS score_x100,
--        sum(count) AS lookups,
--        min(first_us) AS first_seen_us, max(last_us) AS last_seen_us
-- FROM tip.dns
-- WHERE length(a) > 0
-- GROUP BY rrname
-- HAVING score_x100 > 14238
-- ORDER BY score_x100 DESC, rrname;

-- The web view's flux table, one page of it (/flux?since=..&until=..),
-- and `tip query flux`: a name's verdict, score, hosts and ASNs are those
-- of its classification window, as tipd classifies: the records first
-- seen from its first answer t0 until (window - 1/2) x its TTL clamped to
-- [ttl-min, ttl-max] (3, 30 s, 3600 s; TTL 0, unknown, counts as 3600;
-- of several answers at t0 the shortest); lookups, first and last seen
-- are of every record.  Here 2.5 x clamp(TTL) in microseconds is
-- clamp(TTL) * 2500000.  A time window (here 2025-01-01, UTC, in
-- microseconds) is the WHERE on first_us and last_us, in both SELECTs;
-- sorted by score, 50 rows a page; page p is OFFSET (p - 1) * 50, another
-- sort column (sort=hosts, asns, lookups, first, last, domain) another
-- ORDER BY with rrname as the tie-break, order=asc its ASC.
-- tests/integration/clickhouse.sh runs this block against tip query flux
-- with the same window.  The aggregates are named first_seen_us and
-- last_seen_us, not after their columns: ClickHouse resolves an alias
-- before a column, so a WHERE on first_us would otherwise name the
-- aggregate (and be refused).
--
-- BEGIN flux-page
-- SELECT rrname,
--        length(groupUniqArrayArray(a)) AS hosts,
--        length(arrayFilter(x -> x != 0, groupUniqArrayArray(a_asn))) AS asns,
--        132 * hosts + 1854 * asns AS score_x100,
--        any(n) AS lookups, any(f0) AS first_seen_us, any(l1) AS last_seen_us
-- FROM tip.dns ANY INNER JOIN (
--     SELECT rrname, min(f) AS t0, argMin(s, f) AS span_us, sum(c) AS n,
--            min(f) AS f0, max(l) AS l1
--     FROM (SELECT rrname, first_us AS f, sum(count) AS c, max(last_us) AS l,
--                  min(toInt64(least(greatest(if(ttl = 0, 3600, ttl), 30), 3600)) * 2500000) AS s
--           FROM tip.dns
--           WHERE length(a) > 0
--             AND last_us >= 1735689600000000 AND first_us <= 1735775999000000
--           GROUP BY rrname, first_us)
--     GROUP BY rrname) USING rrname
-- WHERE length(a) > 0
--   AND last_us >= 1735689600000000 AND first_us <= 1735775999000000
--   AND first_us >= t0 AND first_us < t0 + span_us
-- GROUP BY rrname
-- HAVING score_x100 > 14238
-- ORDER BY score_x100 DESC, rrname
-- LIMIT 50 OFFSET 0
-- END

-- A domain page (tip serve /domain?name=NAME, tip query domain NAME).
-- Its time window (since=, until=) is the flux table's WHERE on first_us
-- and last_us, added to each query below.  What the page shows beside
-- these and ClickHouse does not hold: the hostname (PTR), country and AS
-- name of an address (the stores' enrichment records; a_asn carries the
-- AS number), the sensor's own score samples, and the spamtrap's extracts
-- (tip export --records spam, table tip.spam below).
-- Its summary: the flux fields of the table above, for one name:
--
-- BEGIN domain-summary
-- SELECT length(groupUniqArrayArray(a)) AS hosts,
--        length(arrayFilter(x -> x != 0, groupUniqArrayArray(a_asn))) AS asns,
--        132 * hosts + 1854 * asns AS score_x100,
--        sum(count) AS lookups, min(first_us) AS first_seen_us, max(last_us) AS last_seen_us
-- FROM tip.dns
-- WHERE rrname = 'NAME' AND length(a) > 0
-- END
--
-- Its A records, one row per address with its origin ASN, first and last
-- seen and lookups, sorted by address, 500 a page (page 1 here; the
-- page's other sorts: ORDER BY lookups DESC, first_seen_us, last_seen_us DESC or
-- asn, then the address):
--
-- BEGIN domain-addresses
-- SELECT ip, any(ip_asn) AS asn, min(first_us) AS first_seen_us, max(last_us) AS last_seen_us,
--        sum(count) AS lookups
-- FROM tip.dns
-- ARRAY JOIN a AS ip, a_asn AS ip_asn
-- WHERE rrname = 'NAME'
-- GROUP BY ip
-- ORDER BY IPv4StringToNum(ip)
-- LIMIT 500 OFFSET 0
-- END
--
-- Its lookup history (failed lookups included: rcode 3 NXDOMAIN, 2
-- SERVFAIL, 16 timeout ...), with the TTLs seen (of answers with records:
-- a failed lookup's TTL is no answer's):
--
-- BEGIN domain-lookups
-- SELECT rrtype, rcode, (length(a) + length(aaaa) + length(names)) > 0 AS answered,
--        sum(count) AS lookups,
--        groupUniqArrayIf(ttl, (length(a) + length(aaaa) + length(names)) > 0) AS ttls,
--        min(first_us) AS first_seen_us, max(last_us) AS last_seen_us
-- FROM tip.dns
-- WHERE rrname = 'NAME'
-- GROUP BY rrtype, rcode, answered
-- ORDER BY first_seen_us
-- END
--
-- Its NS history (the distinct NS sets per sensor, oldest first) and its
-- CNAME targets (the names in its A answers):
--
-- BEGIN domain-ns
-- SELECT arraySort(names) AS ns, min(first_us) AS first_seen_us, max(last_us) AS last_seen_us,
--        sum(count) AS lookups, sensor
-- FROM tip.dns
-- WHERE rrname = 'NAME' AND rrtype = 'NS' AND length(names) > 0
-- GROUP BY ns, sensor
-- ORDER BY first_seen_us
-- END
--
-- SELECT DISTINCT arrayJoin(names) AS cname FROM tip.dns
-- WHERE rrname = 'NAME' AND rrtype = 'A' AND length(names) > 0;
--
-- A left-hand wildcard ("*.example.com") and a prefix (20.0.0.0/8), what
-- tip query domain '*.example.com' and tip query ip 20.0.0.0/8 answer:
--
-- SELECT rrname, length(groupUniqArrayArray(a)) AS hosts, sum(count) AS lookups
-- FROM tip.dns WHERE endsWith(rrname, '.example.com') GROUP BY rrname ORDER BY rrname;
--
-- SELECT ip, rrname, min(first_us), max(last_us), sum(count)
-- FROM tip.dns ARRAY JOIN a AS ip
-- WHERE bitShiftRight(IPv4StringToNum(ip), 24) = 20
-- GROUP BY ip, rrname ORDER BY IPv4StringToNum(ip), rrname;
-- Blacklist feed records: `tip export --records feeds --format clickhouse`
--   | clickhouse-client --query "INSERT INTO tip.feeds FORMAT JSONEachRow"
-- One row per record: op 'listed' / 'delisted' (indicator, kind: domain,
-- ip, cidr, url; host: a URL's host) or 'fetch' (status, outcome ok,
-- not_modified or failed, body bytes, entries, added, removed, bad lines,
-- duration, error).  A source's list at time T: the indicators whose last
-- listed/delisted row of that source before T is 'listed'.
CREATE TABLE IF NOT EXISTS tip.feeds
(
    sensor      String,
    time        DateTime,
    time_us     Int64,
    source      String,
    op          String,
    kind        String,
    indicator   String,
    host        String,
    status      UInt16,
    outcome     String,
    bytes       UInt64,
    entries     UInt64,
    added       UInt64,
    removed     UInt64,
    bad         UInt64,
    duration_us UInt64,
    error       String
)
ENGINE = MergeTree()
PARTITION BY toYYYYMM(time)
ORDER BY (source, indicator, time);

-- Spam records: `tip export --records spam --format clickhouse`
--   | clickhouse-client --query "INSERT INTO tip.spam FORMAT JSONEachRow"
-- One row per record: op 'extract' (everything mined from one message) or
-- 'repeat' (the same digest seen again: digest, source and name only).  A
-- message's count is its rows by digest; hosts and domains are parallel
-- arrays (domain '' for an address), att_* likewise per attachment.
--   SELECT d, count() AS n, uniqExact(digest) AS messages, min(time), max(time)
--   FROM tip.spam ARRAY JOIN domains AS d WHERE op = 'extract' AND d != ''
--   GROUP BY d ORDER BY messages DESC LIMIT 20;
CREATE TABLE IF NOT EXISTS tip.spam
(
    sensor      String,
    time        DateTime,
    time_us     Int64,
    op          String,
    digest      FixedString(64),
    source      String,
    name        String,
    bytes       UInt64,
    bad         UInt32,
    flags       UInt8,
    parts       UInt32,
    sender      String,
    subject     String,
    from        String,
    reply_to    String,
    return_path String,
    message_id  String,
    hosts       Array(String),
    domains     Array(String),
    urls        Array(String),
    urls_seen   UInt32,
    att_name    Array(String),
    att_type    Array(String),
    att_size    Array(UInt64),
    att_sha256  Array(FixedString(64))
)
ENGINE = MergeTree()
PARTITION BY toYYYYMM(time)
ORDER BY (digest, time);
