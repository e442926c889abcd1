#!/usr/bin/env bash
# One-shot set-up of a vidlib fleet against PREFECT_API_URL (the `init` service of deploy/docker-compose.yml;
# also usable by hand). Idempotent: every step creates or updates.
#   VIDLIB_HEAVY_LIMIT  heavy stages at once in the fleet = 2 x the number of 2-CPU workers (default 4)
#   QDRANT_SHARDS / QDRANT_REPLICAS   collection layout when VIDLIB_QDRANT_URL is set (docs/scaling.md)
set -euo pipefail
cd "${VIDLIB_CODE_DIR:-$(dirname "$0")/..}"
pool=vidlib-process
prefect work-pool create "$pool" --type process 2>/dev/null || prefect work-pool inspect "$pool" >/dev/null
prefect work-queue create processing --pool "$pool" --priority 10 2>/dev/null || true
prefect work-queue create control --pool "$pool" --priority 1 2>/dev/null || true
prefect concurrency-limit create vidlib-heavy "${VIDLIB_HEAVY_LIMIT:-4}"      # create or update
prefect --no-prompt deploy --all
if [ -n "${VIDLIB_QDRANT_URL:-}" ]; then
  python deploy/qdrant_collection.py --shards "${QDRANT_SHARDS:-1}" --replicas "${QDRANT_REPLICAS:-1}"
fi
