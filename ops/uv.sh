# Sourced: sets UV to a uv executable, installing one first if there is none.
#
# uv comes from PATH, from $PYTHON's own packages, or else is installed into a private virtual
# environment (var/tools/uv) - never into the system Python, which Debian and Ubuntu mark as
# externally managed (PEP 668) and which pip therefore refuses to change.
PYTHON=${PYTHON:-python3}
PASSEND_TOOLS=${PASSEND_TOOLS:-$PWD/var/tools}

find_uv() {
  if [ -n "${UV:-}" ]; then
    return
  elif command -v uv >/dev/null 2>&1; then
    UV=$(command -v uv)
  elif "$PYTHON" -m uv --version >/dev/null 2>&1; then
    UV="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/uv"
    [ -x "$UV" ] || UV=""
  fi
  if [ -z "${UV:-}" ] && [ -x "$PASSEND_TOOLS/uv/bin/uv" ]; then
    UV="$PASSEND_TOOLS/uv/bin/uv"
  fi
}

install_uv() {
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "No $PYTHON here: install Python 3.11 or newer (Debian/Ubuntu: apt-get install python3)." >&2
    exit 1
  fi
  echo "Installing uv into $PASSEND_TOOLS/uv (a private virtual environment) …" >&2
  if ! "$PYTHON" -m venv --clear "$PASSEND_TOOLS/uv" >/dev/null 2>&1; then
    rm -rf "$PASSEND_TOOLS/uv"
    echo "$PYTHON cannot make a virtual environment (its venv/ensurepip is missing)." >&2
    echo "On Debian/Ubuntu: apt-get install python3-venv   (then run this again)" >&2
    exit 1
  fi
  "$PASSEND_TOOLS/uv/bin/python" -m pip install --quiet --disable-pip-version-check uv
  UV="$PASSEND_TOOLS/uv/bin/uv"
}

find_uv
[ -n "${UV:-}" ] || install_uv
export UV
