#!/usr/bin/env bash
# Every check of the project, in the order CI runs them (.ci/run): lint and format (ruff), the layers (import-linter,
# .importlinter), types (mypy: strict on the core, storage and models, see pyproject.toml), then the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports
.venv/bin/mypy
.venv/bin/python -m pytest -q
