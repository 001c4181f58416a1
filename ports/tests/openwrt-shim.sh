# Stand-ins for what OpenWrt's /etc/rc.common gives a procd init script,
# enough to run ports/openwrt's tipd.init on a Debian host
# (tests/integration/ports.sh sources this file, then the init script).
#
# config_load reads $UCI_CONFIG_DIR/NAME the way /lib/functions.sh reads
# `uci export`: the file is shell, whose `config`, `option` and `list`
# lines call the functions below, which call the config_cb, option_cb
# and list_cb callbacks; config_cb is called once more with no arguments
# at the end.  procd_* calls are written to $PROCD_LOG, logger lines to
# $LOGGER_LOG.  UCI quoting corner cases are not modelled.

# shellcheck disable=SC2317 # functions replaced and called indirectly
CONFIG_SECTION=
_shim_n=0

config_cb() { return 0; }
option_cb() { return 0; }
list_cb() { return 0; }
reset_cb() {
	config_cb() { return 0; }
	option_cb() { return 0; }
	list_cb() { return 0; }
}

config() {
	_shim_n=$((_shim_n + 1))
	CONFIG_SECTION=${2:-cfg$_shim_n}
	config_cb "$1" "$CONFIG_SECTION"
}

option() {
	local name="$1"
	shift
	option_cb "$name" "$*"
}

list() {
	local name="$1"
	shift
	list_cb "$name" "$*"
}

config_load() {
	CONFIG_SECTION=
	_shim_n=0
	# shellcheck source=/dev/null
	. "$UCI_CONFIG_DIR/$1"
	${CONFIG_SECTION:+config_cb}
}

procd_open_instance() { echo "open_instance $*" >>"$PROCD_LOG"; }
procd_set_param() { echo "set_param $*" >>"$PROCD_LOG"; }
procd_close_instance() { echo "close_instance" >>"$PROCD_LOG"; }
procd_add_reload_trigger() { echo "reload_trigger $*" >>"$PROCD_LOG"; }

logger() { echo "logger $*" >>"$LOGGER_LOG"; }
