#!/usr/bin/env bash
# A TLV application from submission to decision and objection, with curl alone, against a
# running API (./ops/serve in another terminal): opens a fresh tenant, configures it, and walks
# one case through every step as the school, the loket, two experts and the committee.
#
#   ./ops/walkthrough.sh                          # against http://127.0.0.1:8000
#   API=http://127.0.0.1:8765 ./ops/walkthrough.sh
#
# Tokens are minted with `passend token`, signed with the development key in ./var/keys, the
# one `./ops/serve` verifies them with (both run from the repository root). Any step that does
# not answer the status it should stops the walk with the problem document the API gave.
set -euo pipefail
cd "$(dirname "$0")/.."

API=${API:-http://127.0.0.1:8000}
PYTHON=${PYTHON:-python3}
SCHOOL=12AB00
MUNICIPALITY=GM0632
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

passend() {
  if command -v uv >/dev/null 2>&1; then
    uv run --frozen --quiet passend "$@"
  else
    "$PYTHON" -m uv run --frozen --quiet passend "$@"
  fi
}

# field PATH: one field of the JSON document on stdin, e.g. `field state.outcome`, `field id`.
field() {
  "$PYTHON" -c '
import json, sys
text = sys.stdin.read()
if not text:
    sys.exit(1)  # the step before failed and said why
value = json.loads(text)
for key in sys.argv[1].split("."):
    value = value[int(key)] if isinstance(value, list) else value[key]
print(value if isinstance(value, str) else json.dumps(value))
' "$1"
}

# call STATUS METHOD PATH TOKEN [BODY] [curl options…]: the response body on stdout; stops the
# walk unless the API answered STATUS. The response headers are left in $WORK/headers.
call() {
  local expected=$1 method=$2 path=$3 token=$4 body=${5:-}
  shift $(($# < 5 ? $# : 5))
  local args=(-sS -X "$method" -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}'
    -H "Authorization: Bearer $token")
  if [[ -n $body ]]; then
    args+=(-H 'Content-Type: application/json' --data "$body")
  fi
  local status
  status=$(curl "${args[@]}" "$@" "$API$path") || {
    echo "FAILED: $method $path: curl could not reach $API" >&2
    exit 1
  }
  if [[ $status != "$expected" ]]; then
    echo "FAILED: $method $path answered $status, expected $expected:" >&2
    cat "$WORK/body" >&2
    echo >&2
    exit 1
  fi
  printf '  %-4s %-72s %s\n' "$method" "$path" "$status" >&2
  cat "$WORK/body"
}

etag() { tr -d '\r' <"$WORK/headers" | sed -n 's/^[Ee][Tt][Aa][Gg]: *//p'; }

step() { printf '\n%s\n' "$*" >&2; }

step "Is the API up? ($API)"
curl -sSf "$API/health" >/dev/null || {
  echo "FAILED: $API/health does not answer 200; start the API with ./ops/serve" >&2
  exit 1
}
echo "  GET  /health 200" >&2

step "The platform operator opens a fresh tenant; its swv-admin configures it"
OPERATOR=$(passend token --platform-operator --subject platform-operator)
for _ in $(seq 20); do
  SWV=PO9$(printf '%03d' $((RANDOM % 1000)))
  status=$(curl -sS -o "$WORK/body" -w '%{http_code}' -X POST "$API/v1/platform/tenants" \
    -H "Authorization: Bearer $OPERATOR" -H 'Content-Type: application/json' \
    --data "{\"code\": \"$SWV\", \"name\": \"SWV $SWV\"}")
  [[ $status == 409 ]] || break # that code is taken already: draw another
done
if [[ $status != 201 ]]; then
  echo "FAILED: POST /v1/platform/tenants answered $status, expected 201:" >&2
  cat "$WORK/body" >&2
  exit 1
fi
printf '  %-4s %-72s %s\n' POST /v1/platform/tenants 201 >&2
BASE=/v1/tenants/$SWV
ADMIN=$(passend token --tenant "$SWV" --role swv-admin --subject swv-admin)

call 201 POST "$BASE/configuration" "$ADMIN" \
  "{\"name\": \"SWV $SWV\", \"committee_name\": \"TLC\",
    \"policy_version\": \"OP-2024.1\", \"policy_effective_from\": \"2024-08-01\"}" >/dev/null
call 200 POST "$BASE/configuration/municipalities" "$ADMIN" \
  "{\"code\": \"$MUNICIPALITY\", \"name\": \"Woerden\"}" >/dev/null
call 200 POST "$BASE/configuration/schools" "$ADMIN" \
  "{\"brin\": \"12AB\", \"vestiging\": \"00\", \"name\": \"De Regenboog\",
    \"board\": \"Stichting Primair\", \"school_type\": \"REGULAR\",
    \"municipality_code\": \"$MUNICIPALITY\"}" >/dev/null

step "Tokens for the school, the loket, the committee and two experts in $SWV"
SCHOOL_TOKEN=$(passend token --tenant "$SWV" --role school --school "$SCHOOL" --subject ib-1)
LOKET=$(passend token --tenant "$SWV" --role loket --subject loket-1)
COMMITTEE=$(passend token --tenant "$SWV" --role committee --subject voorzitter)
FIRST=$(passend token --tenant "$SWV" --role expert --subject orthopedagoog-1)
SECOND=$(passend token --tenant "$SWV" --role expert --subject arts-1)
echo "  five tokens minted" >&2

step "The school registers a pupil and submits a TLV application"
PUPIL=$(call 201 POST "$BASE/pupils" "$SCHOOL_TOKEN" \
  "{\"name\": \"Sam de Vries\", \"date_of_birth\": \"2017-05-12\",
    \"municipality_code\": \"$MUNICIPALITY\"}" | field id)
REQUEST=$(call 201 POST "$BASE/support-requests" "$SCHOOL_TOKEN" \
  "{\"pupil_id\": \"$PUPIL\", \"tlv_type\": \"SO\", \"question\": \"Past het SO?\",
    \"parent_view\": \"AGREE\", \"received_on\": \"2025-03-03\"}" | field id)
CASE=$BASE/support-requests/$REQUEST

step "The loket finds it complete and assigns two experts"
call 200 POST "$CASE/completeness-checks" "$LOKET" '{"checked_on": "2025-03-04"}' >/dev/null
call 200 POST "$CASE/expert-assignments" "$LOKET" \
  '{"role": "FIRST", "expert_subject": "orthopedagoog-1"}' >/dev/null
call 200 POST "$CASE/expert-assignments" "$LOKET" \
  '{"role": "SECOND", "expert_subject": "arts-1"}' >/dev/null

step "Each expert records their advice, with their own token"
call 200 POST "$CASE/expert-advices" "$FIRST" \
  '{"role": "FIRST", "qualification": "ORTHOPEDAGOOG", "independence_declared": true,
    "written_on": "2025-03-10", "advice": "Toelaatbaar tot het SO.", "admissible": true}' >/dev/null
call 200 POST "$CASE/expert-advices" "$SECOND" \
  '{"role": "SECOND", "qualification": "ARTS", "independence_declared": true,
    "written_on": "2025-03-11", "advice": "Toelaatbaar tot het SO.", "admissible": true}' >/dev/null

step "The committee reads the case and decides on the version it read (If-Match)"
call 200 GET "$CASE" "$COMMITTEE" >/dev/null
VERSION=$(etag)
TLV=$(call 200 POST "$CASE/decision" "$COMMITTEE" \
  '{"outcome": "GRANTED", "reasons": "Beide deskundigen adviseren het SO.",
    "decided_on": "2025-03-20", "funding_category": "LOW", "valid_from": "2025-04-01",
    "valid_until": "2027-07-31"}' -H "If-Match: $VERSION" | field also_changed.0)
echo "  decided on version $VERSION; TLV $TLV issued" >&2

step "The loket notifies the parents and the school"
call 200 POST "$CASE/notification" "$LOKET" '{"notified_on": "2025-03-21", "channel": "POST"}' \
  >/dev/null

step "The parents object; the LBT advises; the committee decides the objection"
OBJECTION=$(call 201 POST "$BASE/objections" "$LOKET" \
  "{\"support_request_id\": \"$REQUEST\", \"objector\": \"PARENTS\",
    \"grounds\": \"Liever het SBO.\", \"received_on\": \"2025-04-01\"}" | field id)
OBJECTIONS=$BASE/objections/$OBJECTION
call 200 POST "$OBJECTIONS/lbt-advice-requests" "$LOKET" '{"requested_on": "2025-04-02"}' \
  >/dev/null
call 200 POST "$OBJECTIONS/lbt-advices" "$LOKET" \
  '{"recommended_outcome": "REJECTED", "advice": "Ongegrond.", "received_on": "2025-05-01"}' \
  >/dev/null
call 200 POST "$OBJECTIONS/decision" "$COMMITTEE" \
  '{"outcome": "REJECTED", "reasons": "Wij volgen het advies van de LBT.",
    "decided_on": "2025-05-09"}' >/dev/null

step "Final states"
call 200 GET "$CASE" "$SCHOOL_TOKEN" >"$WORK/case.json"
call 200 GET "$BASE/tlvs/$TLV" "$SCHOOL_TOKEN" >"$WORK/tlv.json"
call 200 GET "$OBJECTIONS" "$LOKET" >"$WORK/objection.json"
"$PYTHON" - "$WORK" "$SWV" <<'PY'
import json, sys
from pathlib import Path

work, swv = Path(sys.argv[1]), sys.argv[2]
case, tlv, objection = (json.loads((work / f"{n}.json").read_text()) for n in ("case", "tlv", "objection"))
s, t, o = case["state"], tlv["state"], objection["state"]
print(f"""
tenant          {swv}
support request {case['id']}  version {case['version']}
  outcome {s['outcome']} on {s['decided_on']}, notified {s['notified_on']}, objection deadline {s['objection_deadline']}
  events  {', '.join(e['type'] for e in case['events'])}
TLV             {tlv['id']}
  {t['tlv_type']} {t['status']}, funding {t['funding_category']}, valid {t['valid_from']} .. {t['valid_until']}
objection       {objection['id']}
  by {o['objector']}, in time: {o['in_time']}, LBT recommended {o['lbt_recommendation']}, outcome {o['outcome']}
  events  {', '.join(e['type'] for e in objection['events'])}""")
PY
