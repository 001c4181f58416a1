#!/bin/sh
# Turn a Kconfig .config into tip_config.h: every bool symbol of the Kconfig
# file becomes ENABLE_<NAME> defined as 0 or 1, so `if (ENABLE_X)` always
# compiles (busybox's convention).  Usage: kconfig-header.sh Kconfig .config
set -eu
kc=$1; cfg=$2
echo "/* Generated from $cfg by scripts/kconfig-header.sh; do not edit. */"
echo "#ifndef TIP_CONFIG_H"
echo "#define TIP_CONFIG_H"
for sym in $(sed -n 's/^config[ 	]\{1,\}\([A-Z0-9_]\{1,\}\).*/\1/p' "$kc"); do
	if grep -q "^CONFIG_$sym=y" "$cfg"; then v=1; else v=0; fi
	echo "#define ENABLE_$sym $v"
done
echo "#endif"
