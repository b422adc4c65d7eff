# Shared by /etc/init.d/meshbox, /etc/uci-defaults/90-meshbox and /usr/bin/meshbox.
# Installed as /usr/share/meshbox/common.sh. POSIX sh for BusyBox ash: no `local`, so every
# variable here starts with _mb_ to stay out of the way of the scripts that source this file.

# shellcheck disable=SC2034 # used by the scripts that source this file
MESHBOX_NODE=/usr/bin/node
# shellcheck disable=SC2034
MESHBOX_APP=/usr/lib/meshbox/meshbox.mjs
MESHBOX_DEFAULT_DATA_DIR=/srv/meshbox
# Generated from hardware-profiles/*.json when the package is built, one profile a line:
#   <id> <V8 heap MiB> <data dir or -> <board_name>...
MESHBOX_PROFILES="${IPKG_INSTROOT}/usr/share/meshbox/profiles"

# meshbox_profile_field <id> <column>: column 2 = heap MiB, 3 = data dir. Prints nothing (and
# fails) for an unknown profile or a "-" column.
meshbox_profile_field() {
	[ -r "$MESHBOX_PROFILES" ] || return 1
	awk -v id="$1" -v col="$2" '
		/^#/ { next }
		$1 == id { if ($col != "" && $col != "-") { print $col; found = 1 }; exit }
		END { exit !found }' "$MESHBOX_PROFILES"
}

# meshbox_profile_for_board <board_name>: the profile listing that board, if any.
meshbox_profile_for_board() {
	if [ -z "$1" ] || [ ! -r "$MESHBOX_PROFILES" ]; then return 1; fi
	awk -v board="$1" '
		/^#/ { next }
		{ for (i = 4; i <= NF; i++) if ($i == board) { print $1; found = 1; exit } }
		END { exit !found }' "$MESHBOX_PROFILES"
}

# meshbox_board_name: board_name as `ubus call system board` reports it (e.g. glinet,gl-mt6000).
# Board names never contain quotes, so sed over ubus's JSON is enough; /tmp/sysinfo/board_name
# (written at boot) covers the case where ubusd is not up yet.
meshbox_board_name() {
	_mb_board="$(ubus call system board 2>/dev/null |
		sed -n 's/.*"board_name"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' | head -n 1)"
	[ -n "$_mb_board" ] || _mb_board="$(cat "${IPKG_INSTROOT}/tmp/sysinfo/board_name" 2>/dev/null)"
	echo "$_mb_board"
}

# meshbox_detect_profile: the profile for this board, or nothing.
meshbox_detect_profile() {
	meshbox_profile_for_board "$(meshbox_board_name)"
}

# meshbox_data_dir <uci value> <profile>: UCI wins, then the profile's, then /srv/meshbox.
meshbox_data_dir() {
	if [ -n "$1" ]; then
		echo "$1"
	else
		meshbox_profile_field "$2" 3 || echo "$MESHBOX_DEFAULT_DATA_DIR"
	fi
}
