#!/bin/bash
# Domain Steward lifecycle configuration (JupyterLab, Code Editor, Studio Classic KernelGateway): install the
# heartbeat and start it in the background. Lifecycle configurations must finish within 5 minutes; AWS
# suggests nohup for longer work (docs.aws.amazon.com/sagemaker/latest/dg/studio-lifecycle-configurations-debug-timeout.html).
# Never fails the app's start: every problem is logged and the script exits 0. Safe to run again.
# lifecycle/content.py puts heartbeat.py in place of the marker line below.
set -u
DIR="${DOMAIN_STEWARD_DIR:-/var/tmp/domain-steward}" # not the persisted home volume (AWS's auto-stop sample)
PIDFILE="$DIR/heartbeat.pid"
# Studio delivers this log to CloudWatch Logs (LOG_FILE of AWS's auto-stop sample).
LOG="${DOMAIN_STEWARD_LOG:-/var/log/apps/app_container.log}"
touch "$LOG" 2>/dev/null || LOG="$DIR/heartbeat.log"

if ! mkdir -p "$DIR"; then
    echo "domain-steward: cannot create $DIR; heartbeat not started"
    exit 0
fi
if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "domain-steward: heartbeat already running (pid $(cat "$PIDFILE"))"
    exit 0
fi

cat >"$DIR/heartbeat.py.new" <<'DOMAIN_STEWARD_HEARTBEAT_PY'
@HEARTBEAT_PY@
DOMAIN_STEWARD_HEARTBEAT_PY
mv -f "$DIR/heartbeat.py.new" "$DIR/heartbeat.py"

# The image's Python with boto3: /opt/conda/bin in SageMaker Distribution (CONDA_HOME of AWS's sample).
PYTHON=""
for candidate in "${DOMAIN_STEWARD_PYTHON:-}" /opt/conda/bin/python3 /opt/conda/bin/python python3 python; do
    if [ -n "$candidate" ] && "$candidate" -c "import boto3" >/dev/null 2>&1; then
        PYTHON="$candidate"
        break
    fi
done
if [ -z "$PYTHON" ]; then
    echo "domain-steward: no Python with boto3 found; heartbeat not started"
    exit 0
fi

# The background process inherits the app's credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI).
nohup "$PYTHON" "$DIR/heartbeat.py" "$@" </dev/null >>"$LOG" 2>&1 &
echo $! >"$PIDFILE"
echo "domain-steward: heartbeat started (pid $!, $PYTHON, log $LOG)"
exit 0
