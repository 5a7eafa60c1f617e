#!/usr/bin/env bash
# A scripted week with membank-cli: --now moves the clock, so a week passes in a few minutes.
# Usage: docs/demo/week.sh DATA_DIR   (MEMBANK_CLI=path/to/membank-cli to choose the binary)
# Shows daily summaries, a global summary, a persona, a faded old memory, a memory strengthened
# by recall, and a superseded fact (Paris -> Berlin). tests/integration/test_week.py runs it.
set -euo pipefail
data=${1:?usage: $0 DATA_DIR}
cli=${MEMBANK_CLI:-membank-cli}
mkdir -p "$data"
# Short replies keep the demo quick; the memory work does not depend on them.
[ -f "$data/config.toml" ] || printf '[llm]\nmax_tokens = 48\n' > "$data/config.toml"
m() { "$cli" --data-dir "$data" "$@"; }
say() { echo "[$1] you: $2"; m --now "$1" ask "$2" | sed 's/^/    /'; }

say 2026-11-02T09:00 "I live in Paris and I work as a nurse at the city hospital."
say 2026-11-02T09:10 "ok thanks"
m --now 2026-11-02T22:00 consolidate

say 2026-11-04T19:00 "My cat Miso knocked a plant off the shelf today."
m --now 2026-11-04T22:00 consolidate

say 2026-11-06T18:00 "Big news: I moved to Berlin!"
m --now 2026-11-06T22:00 consolidate

say 2026-11-08T10:00 "What is my cat called?"
m --now 2026-11-08T22:00 consolidate

echo "== daily summaries";  m --now 2026-11-08T22:30 summaries
echo "== persona";          m --now 2026-11-08T22:30 persona
echo "== memories";         m --now 2026-11-08T22:30 memories list
