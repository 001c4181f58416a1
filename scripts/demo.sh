#!/bin/sh
# make demo: the main job a new user runs.  Today it builds a store from a
# generated day of passive DNS (scripts/sample-cof.sh), then verifies it,
# prints its statistics and its first records, and looks one domain and one
# address up through the index.  The store is left in $O/demo-store.
set -eu
O=${1:-build}
tip=$O/tip
store=$O/demo-store
rm -rf "$store"
echo "== importing a generated day of passive DNS into $store"
scripts/sample-cof.sh | "$tip" import cof - --store "$store" --sensor demo
echo
echo "== tip verify $store"
"$tip" verify "$store" && echo "sound"
echo
echo "== tip stats $store"
"$tip" stats "$store"
echo
echo "== tip dump $store (first 3 records)"
"$tip" dump "$store" | head -n 3
