#!/usr/bin/env bash
# The main job on the embedded default: builds procx/pushx (Native AOT) and runs an fs → child → fs
# pipeline over a few JSON files in a temporary folder, the `procx app | pushx` shape.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/artifacts/bin"
[ -x "$bin/procx" ] && [ -x "$bin/pushx" ] || "$root/scripts/publish.sh" "$bin" >/dev/null
work=$(mktemp -d)
mkdir -p "$work/inbox" "$work/outbox" "$work/done" "$work/failed"
for i in 1 2 3; do printf '{"id":%d,"name":"user %d"}' "$i" "$i" > "$work/inbox/job-$i.json"; done
printf 'not json' > "$work/inbox/job-4.json"

# The child: adds a field to the JSON it reads on stdin; fails (exit 1) on anything that is not JSON.
child='python3 -c "import json,sys; d=json.load(sys.stdin); d[\"processed\"]=True; print(json.dumps(d))"'

while [ -n "$(ls "$work/inbox")" ]; do
  "$bin/procx" -driver fs -fs-folder "$work/inbox" -fs-key-prefix job- \
      -fs-clear-op mv -fs-clear-folder "$work/done" -fs-fail-op mv -fs-fail-folder "$work/failed" \
      -pass-work-as-stdin sh -c "$child" \
    | "$bin/pushx" -driver fs -fs-folder "$work/outbox" -fs-key 'result-{{id}}.json' -out=- || true
done
echo "--- outbox:"; ls "$work/outbox"
echo "--- done:"; ls "$work/done"
echo "--- failed (kept, not lost):"; ls "$work/failed"
