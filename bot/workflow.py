"""The post-live process of the seed document, as pure rules over plain data.

Four steps (P5 - Add on Post Live):
  1. monitor   Monitor Service                          required
  2. address   Address Post Go-Live Functionality       if applicable
  3. handoff   Transition to Client Services            required
  4. complete  Mark Project Complete (archives, locks)  required

No Slack and no database here: the functions take snapshots and an Actor and
either return what should happen or raise a DomainError saying why not.
"""

from __future__ import annotations

from bot import fmt

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Optional

from bot.errors import Conflict, NotAllowed, ProjectLocked


@dataclass(frozen=True)
class StepInfo:
    key: str
    number: int
    title: str
    required: bool
    description: str


STEPS: tuple[StepInfo, ...] = (
    StepInfo(
        "monitor", 1, "Monitor service", True,
        "Confirm payers are paying and the add-on works; tell the manager of anomalies.",
    ),
    StepInfo(
        "address", 2, "Address post go-live functionality", False,
        "Remedy what is left, or open a Client Services case for a change of scope.",
    ),
    StepInfo(
        "handoff", 3, "Transition to Client Services", True,
        "Tell the biller how to get support from Client Services from now on.",
    ),
    StepInfo(
        "complete", 4, "Mark project complete", True,
        "Every item on the project schedule is 100%; completing archives the project.",
    ),
)
STEP_BY_KEY = {s.key: s for s in STEPS}
MANUAL_STEPS = ("monitor", "address", "handoff")  # the ones `done`/`undo` move

OPEN, DONE, NOT_APPLICABLE = "open", "done", "not_applicable"


# ---- who is acting -----------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    """The Slack user behind a request, resolved once per request by middleware."""

    user_id: str
    team_id: Optional[str]
    external: bool  # from another organisation (Slack Connect)
    admin: bool = False

    def role_on(self, project: "ProjectSnapshot | None") -> str:
        if self.external:
            return "external"
        if project is not None:
            if self.user_id in project.specialist_ids:
                return "specialist"
            if self.user_id == project.manager_id:
                return "manager"
        if self.admin:
            return "admin"
        return "internal"


def is_external(user_team: Optional[str], user_enterprise: Optional[str],
                home_team: Optional[str], home_enterprise: Optional[str]) -> bool:
    """A user is external when their team is not the installing team and, on
    Enterprise Grid, not in the same enterprise either. Unknown team: external
    (fail closed)."""
    if not user_team:
        return True
    if user_team == home_team:
        return False
    if home_enterprise and user_enterprise and user_enterprise == home_enterprise:
        return False
    return True


# ---- snapshots ----------------------------------------------------------------
@dataclass(frozen=True)
class StepView:
    key: str
    state: str = OPEN
    note: Optional[str] = None
    by: Optional[str] = None
    at: Optional[datetime] = None


@dataclass(frozen=True)
class ItemView:
    id: int
    number: int
    text: str
    status: str  # open | remedied | escalated
    note: Optional[str] = None
    case_id: Optional[int] = None
    case_status: Optional[str] = None
    case_external_id: Optional[str] = None
    case_url: Optional[str] = None
    case_attempts: int = 0
    case_next_at: Optional[datetime] = None
    case_error: Optional[str] = None


@dataclass(frozen=True)
class ProjectSnapshot:
    id: int
    biller_id: str
    addon: str
    channel_id: str
    manager_id: str
    specialist_ids: tuple[str, ...]
    golive: date
    projected_per_day: float
    tz: str
    status: str
    locked: bool
    version: int
    pay_channel: Optional[str] = None
    shared_channel_id: Optional[str] = None
    steps: dict[str, StepView] = field(default_factory=dict)
    items: tuple[ItemView, ...] = ()
    pending_cases: int = 0
    open_alerts: int = 0
    days_monitored: int = 0
    handoff_sent_at: Optional[datetime] = None
    handoff_acknowledged_by: Optional[str] = None
    completed_at: Optional[datetime] = None
    completed_by: Optional[str] = None
    schedule_sheet_id: Optional[int] = None

    def step(self, key: str) -> StepView:
        return self.steps.get(key) or StepView(key)

    @property
    def open_items(self) -> tuple[ItemView, ...]:
        return tuple(i for i in self.items if i.status == "open")

    def progress(self) -> tuple[int, int]:
        """(steps finished, 4)."""
        finished = sum(1 for s in STEPS if self.step(s.key).state in (DONE, NOT_APPLICABLE))
        if self.locked:
            finished = len(STEPS)
        return finished, len(STEPS)


# ---- rules -------------------------------------------------------------------
EXTERNAL_REFUSAL = (
    "Only the delivery team can use addon-bot's commands and buttons. "
    "For help with your payments service, mention @addon-bot in your shared channel "
    "and your contacts will be told."
)


def ensure_can_change(project: ProjectSnapshot, actor: Actor) -> None:
    """Specialists, the manager and admins change a project; nobody changes a locked one."""
    if actor.external:
        raise NotAllowed(EXTERNAL_REFUSAL)
    if project.locked:
        if project.status == "cancelled":
            raise ProjectLocked("This project was withdrawn (cancelled); it can no longer be changed. "
                                "`/addon new` registers this channel's project again.")
        raise ProjectLocked()
    if actor.role_on(project) not in ("specialist", "manager", "admin"):
        names = ", ".join(fmt.user(u) for u in project.specialist_ids) or "the specialist"
        raise NotAllowed(
            f"Only this project's specialist ({names}), its manager ({fmt.user(project.manager_id)}) "
            "or an admin can change it. Anyone on the team can read it with `/addon status`."
        )


def ensure_can_register(actor: Actor) -> None:
    if actor.external:
        raise NotAllowed(EXTERNAL_REFUSAL)


def ensure_can_read(actor: Actor) -> None:
    if actor.external:
        raise NotAllowed(EXTERNAL_REFUSAL)


def mark_done(project: ProjectSnapshot, step: str, actor: Actor) -> None:
    """Raise unless `step` may be marked done now. `complete` has its own rule."""
    ensure_can_change(project, actor)
    if step == "complete":
        raise Conflict("Use `/addon complete` to mark the project complete; it asks you to confirm.")
    if project.step(step).state == DONE:
        raise Conflict(f"Step {STEP_BY_KEY[step].number} ({STEP_BY_KEY[step].title}) is already done.")
    if step == "address" and project.open_items:
        nums = ", ".join(f"#{i.number}" for i in project.open_items)
        raise Conflict(
            f"Step 2 has open items ({nums}). Remedy each, or escalate it as a Client Services case "
            "(`/addon case ITEM#`), before marking it done."
        )


def monitor_needs_confirmation(project: ProjectSnapshot) -> bool:
    """Marking Monitor done while alerts are unacknowledged asks first."""
    return project.open_alerts > 0


def monitor_needs_reason(project: ProjectSnapshot) -> bool:
    """Marking Monitor done before any daily summary was posted needs a reason (kept in the audit)."""
    return project.days_monitored == 0


def undo(project: ProjectSnapshot, step: str, actor: Actor) -> None:
    ensure_can_change(project, actor)
    if step == "complete":
        raise Conflict("Step 4 is not done; there is nothing to reopen.")
    if project.step(step).state == OPEN:
        raise Conflict(f"Step {STEP_BY_KEY[step].number} ({STEP_BY_KEY[step].title}) is already open.")


def skip_address(project: ProjectSnapshot, actor: Actor) -> None:
    ensure_can_change(project, actor)
    if project.step("address").state == NOT_APPLICABLE:
        raise Conflict("Step 2 is already marked not applicable.")
    if project.open_items:
        nums = ", ".join(f"#{i.number}" for i in project.open_items)
        raise Conflict(f"Step 2 has open items ({nums}); it cannot be not applicable while they are open.")


def completion_blockers(project: ProjectSnapshot) -> list[str]:
    """What still stands between this project and completion, in words."""
    out: list[str] = []
    if project.step("monitor").state != DONE:
        out.append("Step 1 (Monitor service) is not done.")
    a = project.step("address").state
    if project.open_items:  # whatever step 2 says: every item remedied or delivered as a case
        nums = ", ".join(f"#{i.number}" for i in project.open_items)
        out.append(f"Step 2 has open items ({nums}).")
    elif a == OPEN:
        out.append("Step 2 (Address post go-live) is neither done nor marked not applicable.")
    if project.step("handoff").state != DONE:
        out.append("Step 3 (Transition to Client Services) is not done.")
    if project.pending_cases:
        out.append(f"{project.pending_cases} Client Services case(s) are still being delivered.")
    return out


def ensure_can_complete(project: ProjectSnapshot, actor: Actor, schedule_confirmed: bool) -> None:
    ensure_can_change(project, actor)
    blockers = completion_blockers(project)
    if blockers:
        raise Conflict("The project cannot be completed yet:\n• " + "\n• ".join(blockers))
    if not schedule_confirmed:
        raise Conflict(
            "Confirm that every item on the project schedule is at 100% before completing."
        )
