"""The lifecycle configuration the stack provides: the in-app heartbeat and its launcher, on-start.sh."""
