# Sourced by the other scripts: make sure uv is there and the environment matches uv.lock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -m uv --version >/dev/null 2>&1; then
  echo "Installing uv with pip …" >&2
  "$PYTHON" -m pip install --quiet --disable-pip-version-check uv
fi
uv() { "$PYTHON" -m uv "$@"; }
export UV_PYTHON=${UV_PYTHON:-$PYTHON}
uv sync --frozen --quiet
