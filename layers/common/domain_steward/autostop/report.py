"""Explaining a sweep: one structured log line per app, the sweep's figures, and the admins' summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain_steward.autostop.policy import Decision
from domain_steward.autostop.prices import Savings

# SNS messages hold up to 256 KB (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html); a summary lists
# at most this many apps and counts the rest.
SUMMARY_LINES = 200


def decision_line(decision: Decision, outcome: str | None = None) -> dict[str, Any]:
    """The log record of one decision: who, what, which signal said what, and why."""
    app = decision.app
    line: dict[str, Any] = {
        "domain": app.domain_id,
        "owner": app.owner_name,
        "owner_kind": "space" if app.record.space_name is not None else "user profile",
        "user_profile": app.profile_name,
        "app_type": app.app_type,
        "app_name": app.record.app_name,
        "instance_type": app.instance_type,
        "signal": decision.signal,
        "idle_minutes": decision.minutes,
        "threshold_minutes": decision.threshold,
        "decision": decision.action,
        "dry_run": decision.dry_run,
        "reason": decision.reason,
    }
    if outcome is not None:
        line["outcome"] = outcome
    return line


@dataclass
class SweepReport:
    """What a sweep did; ``decisions`` holds the warn and stop decisions (also the dry-run ones)."""

    dry_run: bool = False
    complete: bool = True
    domains: list[str] = field(default_factory=list)
    skipped_domains: dict[str, str] = field(default_factory=dict)
    evaluated: int = 0
    warned: int = 0
    stopped: int = 0
    failed: int = 0
    savings: Savings = field(default_factory=Savings)
    decisions: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "DryRun": self.dry_run,
            "Complete": self.complete,
            "Domains": self.domains,
            "SkippedDomains": self.skipped_domains,
            "AppsEvaluated": self.evaluated,
            "AppsWarned": self.warned,
            "AppsStopped": self.stopped,
            "StopsFailed": self.failed,
            "EstimatedHourlySavings": round(self.savings.hourly, 4),
            "UnknownPriceApps": self.savings.unknown,
            "Decisions": self.decisions,
        }

    def summary(self) -> tuple[str, str] | None:
        """The SNS subject and message, when the sweep warned or stopped something (not in a dry run)."""
        acted = [d for d in self.decisions if d["decision"] in ("warn", "stop") and not d["dry_run"]]
        if not acted:
            return None
        subject = f"Domain Steward auto-stop: {self.stopped} stopped, {self.warned} warned"
        lines = [
            f"Auto-stop sweep over {len(self.domains)} domain(s): {self.evaluated} apps evaluated, "
            f"{self.stopped} stopped, {self.warned} warned, {self.failed} stops failed.",
            f"Estimated savings: {self.savings.hourly:.2f} USD per hour"
            + (f" ({self.savings.unknown} stopped app(s) of unknown price)" if self.savings.unknown else "")
            + ".",
            "",
        ]
        for item in acted[:SUMMARY_LINES]:
            lines.append(
                f"- {item['decision'].upper()} {item['app_type']}/{item['app_name']} of {item['owner_kind']} "
                f"{item['owner']} in {item['domain']}: {item['reason']}"
                + (f" [{item['outcome']}]" if item.get("outcome") else "")
            )
        if len(acted) > SUMMARY_LINES:
            lines.append(f"... and {len(acted) - SUMMARY_LINES} more (see the function's log).")
        if not self.complete:
            lines.append("The sweep ran out of time; the next sweep carries on where it stopped.")
        return subject, "\n".join(lines)
