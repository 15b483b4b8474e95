"""The teardown's report (the execution's output) and the notification that carries a summary of it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from domain_steward.teardown.progress import KINDS, LEFTOVER_KINDS, Progress, StageRecord, Target

# SNS subjects are at most 100 characters.
_SUBJECT_LIMIT = 100


def start(planned: dict[str, Any], now: datetime) -> Progress:
    """The progress of a teardown that starts now, at its first stage."""
    target = Target.model_validate(planned["Target"])
    return Progress(target=target, stages=[StageRecord(stage=target.stages[0], started_at=now)])


def build(planned: dict[str, Any], progress: Progress | None) -> dict[str, Any]:
    """The report: ``Status`` is ``DRY_RUN`` without progress (nothing was changed), else ``SUCCEEDED``."""
    request, target = planned["Request"], planned["Target"]
    truncated = {kind: True for kind, cut in (planned.get("PlanTruncated") or {}).items() if cut}
    report: dict[str, Any] = {
        "DomainId": target["DomainId"],
        "UserProfileName": target.get("UserProfileName"),
        "ExecutionArn": target["ExecutionArn"],
        "DryRun": request["DryRun"],
        "HomeEfsFileSystem": request.get("HomeEfsFileSystem"),
        "Status": "DRY_RUN" if progress is None else "SUCCEEDED",
        "Plan": planned["Plan"],
    }
    if progress is None:
        report.update(
            Deleted={kind: [] for kind in KINDS},
            Kept={kind: [] for kind in LEFTOVER_KINDS},
            Counts={"Plan": planned["PlanCounts"], "Deleted": {}, "Kept": {}},
            Stages=[],
        )
    else:
        truncated.update({kind: True for kind, cut in progress.deleted.truncated.items() if cut})
        truncated.update({kind: True for kind, cut in progress.kept.truncated.items() if cut})
        report.update(
            Deleted={kind: progress.deleted.items.get(kind, []) for kind in KINDS},
            Kept={kind: progress.kept.items.get(kind, []) for kind in LEFTOVER_KINDS},
            Counts={
                "Plan": planned["PlanCounts"],
                "Deleted": {kind: progress.deleted.counts.get(kind, 0) for kind in KINDS},
                "Kept": {kind: progress.kept.counts.get(kind, 0) for kind in LEFTOVER_KINDS},
            },
            Stages=[record.dump() for record in progress.stages],
        )
    if truncated:
        report["Truncated"] = truncated
    return report


def notification(report: dict[str, Any]) -> dict[str, str]:
    """Subject and message for the NotificationsTopic: the counts and stages, not the full lists, so that it
    stays far below SNS's 256 KB whatever the size of the domain."""
    scope = report["DomainId"] + (f" user profile {report['UserProfileName']}" if report.get("UserProfileName") else "")
    subject = f"Domain Steward teardown {report['Status']}: {scope}"[:_SUBJECT_LIMIT]
    summary = {
        key: report.get(key)
        for key in ("DomainId", "UserProfileName", "ExecutionArn", "HomeEfsFileSystem", "Status", "Counts", "Stages")
    }
    summary["Kept"] = report.get("Kept")
    deleted = ", ".join(f"{count} {kind}" for kind, count in report["Counts"]["Deleted"].items() if count)
    lines = [f"The teardown of {scope} finished: {report['Status']}.", f"Deleted: {deleted or 'nothing'}."]
    kept = {kind: items for kind, items in (report.get("Kept") or {}).items() if items}
    if kept:
        lines.append("Kept (HomeEfsFileSystem=Retain): " + json.dumps(kept))
    lines += ["", "Summary:", json.dumps(summary, indent=2, default=str)]
    return {"Subject": subject, "Message": "\n".join(lines)}
