# Sourced by scripts/demo and scripts/test: make .venv with Python >= 3.11 and
# install rtcpeer into it (with the extras named in $RTCPEER_EXTRAS, if any).
# On Debian, `python3 -m venv` needs the python3-venv package; as root we
# install it, otherwise we say exactly what is missing.
ensure_venv() {
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "rtcpeer needs Python 3.11 or newer (aiortc's ICE library, aioice 0.13, does); found: $(python3 --version 2>&1)" >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    if ! python3 -m venv .venv 2>/dev/null; then
      rm -rf .venv
      if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
        python3 -m venv .venv
      else
        echo "python3 -m venv failed: install Debian's python3-venv (sudo apt-get install python3-venv)" >&2
        exit 1
      fi
    fi
  fi
  local target="."
  [ -n "${RTCPEER_EXTRAS:-}" ] && target=".[${RTCPEER_EXTRAS}]"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e "$target"
}
