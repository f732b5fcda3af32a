"""The ICWM backend's own table: the live audit of its predictions against the real backends."""

from __future__ import annotations

from schemas.artifacts import Artifact


class IcwmAudit(Artifact):
    """One request the real backend also ran: `routed` when low confidence sent it there (its real
    result was used), else an audit sample (the ICWM's result was used, the real one only compared)."""

    TABLE = "icwm_audit"
    request_id: str
    task_id: str
    domain: str
    predicted: str
    confidence: float
    real: str
    agree: bool
    routed: bool
    checkpoint: str
