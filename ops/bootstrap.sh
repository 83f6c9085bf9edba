# Sourced by the other scripts: make sure uv is there and the environment matches uv.lock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source ops/uv.sh
uv() { "$UV" "$@"; }
export UV_PYTHON=${UV_PYTHON:-$PYTHON}
uv sync --frozen --quiet
