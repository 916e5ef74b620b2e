#!/usr/bin/env bash
# The example images on a real Docker engine: builds deploy/Dockerfile for the
# four servers, runs them (and the demo upstream API and the stand-in
# notification provider) on the host network
# against the PostgreSQL and Redis of DATABASE_URL / REDIS_URL, and checks:
# each runs as a numeric non-root uid, holds no optional peer nothing imports
# (Sentry), answers /health, /health/live, /health/ready, /health/startup and
# /metrics, a tool call through the gateway reaches every backend, the image's
# HEALTHCHECK turns healthy, and `docker stop` ends each one with exit code 0.
# It prints each image's size and build time.
#
#   scripts/test-images.sh
#
# Where no Docker engine answers, it says so and exits 0 (nothing to test).
# Environment:
#   NODE_IMAGE    base image for the build (default: the Dockerfile's, pinned by
#                 digest; a locally built stand-in works where Docker Hub is unreachable)
#   DATABASE_URL  default postgres://postgres@127.0.0.1:5432/test
#   REDIS_URL     default redis://127.0.0.1:6379
#   PORT_BASE     the six services listen on PORT_BASE..PORT_BASE+5 (default 13000)
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  echo "test-images: skipped, no Docker engine answers here (docker info failed)."
  echo "Run scripts/test-images.sh on a machine with Docker to build and run the images."
  exit 0
fi

node_image_arg=()
if [ -n "${NODE_IMAGE:-}" ]; then node_image_arg=(--build-arg "NODE_IMAGE=$NODE_IMAGE"); fi
database_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379}
base=${PORT_BASE:-13000}
gateway_port=$base users_port=$((base + 1)) analytics_port=$((base + 2)) upstream_port=$((base + 3))
notification_port=$((base + 4)) provider_port=$((base + 5))
key="test-images-$RANDOM$RANDOM"
run_id="mcp-prod-test-$$"
failures=0
containers=()

pass() { echo "  ok   $*"; }
fail() {
  echo "  FAIL $*"
  failures=$((failures + 1))
}
cleanup() {
  for name in "${containers[@]}"; do docker rm -f "$name" >/dev/null 2>&1; done
}
trap cleanup EXIT

build() {
  local example=$1 port=$2
  echo "==> build $example"
  local started=$SECONDS
  docker build --quiet -f deploy/Dockerfile \
    "${node_image_arg[@]}" --build-arg EXAMPLE="$example" --build-arg PORT="$port" \
    -t "mcp-prod/$example:test" . >/dev/null || {
    fail "build $example"
    return 1
  }
  local size
  size=$(docker image inspect -f '{{.Size}}' "mcp-prod/$example:test")
  pass "build $example: $((size / 1000000)) MB, $((SECONDS - started)) s"
  local user
  user=$(docker image inspect -f '{{.Config.User}}' "mcp-prod/$example:test")
  if [[ $user =~ ^[0-9]+(:[0-9]+)?$ ]] && [ "${user%%:*}" != "0" ]; then
    pass "$example: USER $user (numeric, not root)"
  else
    fail "$example: USER '$user' is not a numeric non-root uid"
  fi
  if docker run --rm --entrypoint sh "mcp-prod/$example:test" -c 'ls -d /app/node_modules/.pnpm/@sentry* 2>/dev/null' | grep -q .; then
    fail "$example: Sentry is in the image, though nothing imports it"
  else
    pass "$example: no Sentry in node_modules"
  fi
}

# start NAME EXAMPLE PORT [docker run options…]: SERVER_PORT differs from the image's
# own port, so a HEALTHCHECK probing a fixed port would not turn healthy.
start() {
  local name=$1 example=$2 port=$3
  shift 3
  containers+=("$name")
  docker run -d --name "$name" --network host --health-interval=2s --health-start-period=2s \
    -e SERVER_PORT="$port" "$@" "mcp-prod/$example:test" >/dev/null || fail "start $name"
}

wait_healthy() {
  local name=$1
  for _ in $(seq 1 60); do
    case $(docker inspect -f '{{.State.Health.Status}}' "$name" 2>/dev/null) in
      healthy)
        pass "$name: HEALTHCHECK healthy"
        return 0
        ;;
      unhealthy) break ;;
    esac
    sleep 1
  done
  fail "$name: HEALTHCHECK did not turn healthy ($(docker inspect -f '{{.State.Health.Status}}' "$name" 2>/dev/null))"
  docker logs --tail 20 "$name" 2>&1 | sed 's/^/       /'
  return 1
}

check_server() {
  local name=$1 port=$2
  local user
  user=$(docker exec "$name" id -u 2>/dev/null)
  if [ -n "$user" ] && [ "$user" != "0" ]; then pass "$name: runs as uid $user"; else fail "$name: runs as root"; fi
  if docker exec "$name" sh -c 'touch /app/dist/x 2>/dev/null || touch /app/node_modules/x 2>/dev/null'; then
    fail "$name: the app user can write its own code"
  else
    pass "$name: /app is read-only to the app user"
  fi
  local listing
  # npm's pack rules (which `pnpm deploy` follows) always add a README or LICENSE.
  listing=$(docker exec "$name" ls -A /app | grep -v -E '^(README|LICENSE)' | tr '\n' ' ')
  if [ "$listing" = "dist node_modules package.json " ]; then pass "$name: /app holds $listing"; else fail "$name: /app holds $listing"; fi
  for path in /health /health/live /health/ready /health/startup /metrics; do
    local status
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path")
    if [ "$status" = "200" ]; then pass "$name: $path 200"; else fail "$name: $path $status"; fi
  done
}

stop_cleanly() {
  local name=$1
  docker stop -t 30 "$name" >/dev/null
  local code
  code=$(docker inspect -f '{{.State.ExitCode}}' "$name")
  if [ "$code" = "0" ]; then pass "$name: docker stop, exit 0"; else fail "$name: docker stop, exit $code"; fi
}

mcp_call() {
  curl -s "http://127.0.0.1:$gateway_port/mcp" \
    -H "authorization: Bearer $key" -H 'content-type: application/json' \
    -H 'accept: application/json, text/event-stream' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$1\",\"arguments\":$2}}"
}

# Built for the ports they use in production; run on others below.
build user-management 3001 && build analytics 3002 && build notification 3003 && build gateway 3000 || exit 1

echo "==> run"
containers+=("$run_id-upstream")
docker run -d --name "$run_id-upstream" --network host --no-healthcheck \
  -e UPSTREAM_PORT="$upstream_port" mcp-prod/analytics:test node dist/upstream.js >/dev/null ||
  fail "start upstream"
containers+=("$run_id-provider")
docker run -d --name "$run_id-provider" --network host --no-healthcheck \
  -e PROVIDER_PORT="$provider_port" -e PROVIDER_FAILURE_RATE=0 mcp-prod/notification:test node dist/provider.js >/dev/null ||
  fail "start provider"
start "$run_id-users" user-management "$users_port" -e DATABASE_URL="$database_url"
start "$run_id-notification" notification "$notification_port" -e DATABASE_URL="$database_url" \
  -e PROVIDER_URL="http://127.0.0.1:$provider_port"
start "$run_id-analytics" analytics "$analytics_port" -e API_BASE_URL="http://127.0.0.1:$upstream_port" \
  -e REDIS_URL="$redis_url" -e CACHE_PREFIX="$run_id:"
start "$run_id-gateway" gateway "$gateway_port" -e REDIS_URL="$redis_url" \
  -e GATEWAY_API_KEYS="$key=test-images:*" \
  -e GATEWAY_BACKENDS="users=http://127.0.0.1:$users_port/mcp,analytics=http://127.0.0.1:$analytics_port/mcp,notifications=http://127.0.0.1:$notification_port/mcp"

for entry in "users:$users_port" "analytics:$analytics_port" "notification:$notification_port" "gateway:$gateway_port"; do
  name="$run_id-${entry%%:*}"
  wait_healthy "$name" && check_server "$name" "${entry##*:}"
done

echo "==> a tool call through the gateway"
answer=$(mcp_call users.search_users '{"query":"a"}')
if echo "$answer" | grep -q '"result"'; then pass "users.search_users answered"; else fail "users.search_users: $answer"; fi
answer=$(mcp_call analytics.list_metrics '{}')
if echo "$answer" | grep -q 'revenue'; then pass "analytics.list_metrics answered"; else fail "analytics.list_metrics: $answer"; fi
answer=$(mcp_call notifications.list_notifications '{"limit":5}')
if echo "$answer" | grep -q '"result"'; then pass "notifications.list_notifications answered"; else fail "notifications.list_notifications: $answer"; fi

echo "==> stop"
for name in gateway notification analytics users; do stop_cleanly "$run_id-$name"; done

echo
if [ "$failures" -gt 0 ]; then
  echo "test-images: $failures failed"
  exit 1
fi
echo "test-images: all passed"
