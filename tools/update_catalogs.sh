#!/usr/bin/env bash
# Extract every msgid from bot/ and merge it into each language's catalog.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
"$PYBABEL" extract -F babel.cfg -k N_ --no-location --sort-output --project=homevisit \
    --copyright-holder=homevisit -o locales/homevisit.pot bot
"$PYBABEL" update -i locales/homevisit.pot -d locales -D homevisit --no-fuzzy-matching --ignore-obsolete
