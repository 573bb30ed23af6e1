# Shell helpers shared by bench/compare.sh and bench/callgrind.sh (sourced).

# True if something listens on 127.0.0.1:$1 (read from /proc, so nothing connects).
listening() {
  local hex
  hex=$(printf ':%04X' "$1")
  awk -v p="$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# A port below the ephemeral range (32768 up) that no socket uses in any state: a port
# some client holds as its local end cannot be bound, SO_REUSEADDR or not.
free_port() {
  local p hex
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 12000))
    hex=$(printf ':%04X' "$p")
    awk -v p="$hex" 'substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
      /proc/net/tcp /proc/net/tcp6 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}
