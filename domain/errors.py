"""One hierarchy for everything the domain refuses; the API maps each class to a status."""


class TrackerError(Exception):
    """Base class: a command the record cannot accept."""


class TrackNotFound(TrackerError):
    """No track with that id or slug."""


class StatementNotFound(TrackerError):
    """No statement with that id on this track."""


class TrackClosed(TrackerError):
    """The track is suspended or concluded, so nothing more can be recorded."""


class SlugTaken(TrackerError):
    """Another track already uses this slug."""


class InvalidTransition(TrackerError):
    """The requested status change makes no sense from the current status."""


class AlreadyRetracted(TrackerError):
    """The statement was retracted; it can be neither corrected nor retracted again."""


class RuleViolation(TrackerError):
    """The body is well-formed but breaks a rule of the record (422)."""

    def __init__(self, detail: str, field: str | None = None, *, where: str = "body") -> None:
        super().__init__(detail)
        self.field = field
        self.where = where  # the part of the request that breaks it: body or query


class UnknownParty(RuleViolation):
    """The party is not one of the track's parties."""


class UnresolvableReference(RuleViolation):
    """`responds_to` / `withdraws` names nothing usable on this track."""


class IdempotencyKeyReused(RuleViolation):
    """The idempotency key was already used with another body."""


class VersionMismatch(TrackerError):
    """`If-Match` named another version than the track's current one."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"the track is at version {actual}, not {expected}")
        self.expected = expected
        self.actual = actual
