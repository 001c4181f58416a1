#!/bin/sh
# Print a deterministic sample of passive DNS in Common Output Format
# (NDJSON), the project's own generated data: a day of lookups every 10
# minutes of fast-flux-like names (5 addresses a time out of a large pool),
# CDN-like names (many addresses, few networks), and ordinary names.
# Usage: sample-cof.sh [START_UNIX_TIME]
start=${1:-1764000000}
awk -v start="$start" 'BEGIN {
	seed = 12345
	for (step = 0; step < 144; step++) {
		t = start + step * 600
		for (d = 0; d < 12; d++) {
			printf "{\"rrname\":\"flux%02d.example-botnet.test\",\"rrtype\":\"A\",\"rdata\":[", d
			for (k = 0; k < 5; k++) {
				seed = (seed * 1103515245 + 12345) % 2147483648
				ip = int(seed / 65536) % 400
				printf "%s\"%d.%d.%d.%d\"", (k ? "," : ""), 20 + ip % 150, (ip * 7) % 256, (ip * 13) % 256, 1 + ip % 250
			}
			printf "],\"time_first\":%d,\"time_last\":%d,\"count\":1,\"sensor_id\":\"demo\"}\n", t, t
		}
		for (d = 0; d < 6; d++) {
			printf "{\"rrname\":\"cdn%d.example-cdn.test\",\"rrtype\":\"A\",\"rdata\":[", d
			for (k = 0; k < 4; k++) {
				seed = (seed * 1103515245 + 12345) % 2147483648
				printf "%s\"198.51.%d.%d\"", (k ? "," : ""), 100 + d % 2, int(seed / 65536) % 120
			}
			printf "],\"time_first\":%d,\"time_last\":%d,\"count\":1,\"sensor_id\":\"demo\"}\n", t, t
		}
		if (step % 6 == 0)
			for (d = 0; d < 10; d++)
				printf "{\"rrname\":\"www.site%d.example\",\"rrtype\":\"A\",\"rdata\":\"192.0.2.%d\",\"time_first\":%d,\"time_last\":%d,\"count\":6,\"sensor_id\":\"demo\"}\n", d, 10 + d, t, t + 3000
	}
}'
