#!/usr/bin/env bash
# One release, run from ONE machine (e.g. the first app server) — never on every server at once:
#   sudo -u bangfu /opt/bangfu/deploy/release.sh v1.4.0
# 1. install the new code on every server (here: this one; repeat the `git`/`pip` lines on the others)
# 2. migrate the database once (Alembic; additive migrations keep the old code working meanwhile)
# 3. restart the servers one by one behind the proxy (no downtime), then the workers
set -euo pipefail
tag="${1:?usage: release.sh TAG}"
cd /opt/bangfu
set -a; . /etc/bangfu/bangfu.env; set +a
git fetch --tags && git checkout -q "$tag"
.venv/bin/pip install -q -e .
.venv/bin/flask --app webapp db upgrade          # once per release, from this machine only
for host in ${BANGFU_HOSTS:-localhost}; do      # e.g. BANGFU_HOSTS="10.0.0.21 10.0.0.22"
  if [ "$host" = localhost ]; then sudo systemctl restart bangfu-web bangfu-worker
  else ssh "$host" "cd /opt/bangfu && git fetch --tags && git checkout -q $tag && .venv/bin/pip install -q -e . \
        && sudo systemctl restart bangfu-web bangfu-worker"; fi
  sleep 5
done
