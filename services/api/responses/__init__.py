"""The answer models of API v1 (`XPublic` beside the request models `services.api.schemas`).

The routes send pre-serialized `Response`s; these models only document the answers in
/openapi.json (`response_model=`, which FastAPI neither validates nor serializes with when an
endpoint returns a Response) and let tests check real answers against them.
"""

from services.api.responses.across import (
    ActorsPage,
    DemandsPage,
    MeetingsPage,
    StatementsPage,
    WarningsPage,
)
from services.api.responses.audit import (
    EventsPage,
    FeedEvent,
    HistoryEvent,
    HistoryPage,
    VerifyReport,
)
from services.api.responses.base import ANSWER_CONFIG, Public
from services.api.responses.changes import ChangeItem, ChangesPage
from services.api.responses.operations import Health, Readiness
from services.api.responses.statements import (
    PUBLIC,
    WRITTEN,
    BatchWritten,
    CorrectionPublic,
    DemandBoard,
    DemandPublic,
    StatementPublic,
    StatementWritten,
    TimelinePage,
)
from services.api.responses.tracks import (
    ActiveSanctionWarning,
    AsOf,
    NextMeeting,
    OpenDemand,
    TrackAsOfPublic,
    TrackList,
    TrackPublic,
)

__all__ = [
    "ANSWER_CONFIG",
    "PUBLIC",
    "WRITTEN",
    "ActiveSanctionWarning",
    "ActorsPage",
    "AsOf",
    "BatchWritten",
    "ChangeItem",
    "ChangesPage",
    "CorrectionPublic",
    "DemandBoard",
    "DemandPublic",
    "DemandsPage",
    "EventsPage",
    "FeedEvent",
    "Health",
    "HistoryEvent",
    "HistoryPage",
    "MeetingsPage",
    "NextMeeting",
    "OpenDemand",
    "Public",
    "Readiness",
    "StatementPublic",
    "StatementWritten",
    "StatementsPage",
    "TimelinePage",
    "TrackAsOfPublic",
    "TrackList",
    "TrackPublic",
    "VerifyReport",
    "WarningsPage",
]
