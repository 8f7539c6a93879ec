"""What an alert means for the manager, in words: how sure the check is, what
usually causes it, and what to do next. Pure: an alert's check id and evidence in,
sentences out. The raw evidence itself is shown on request (the Details view)."""

from __future__ import annotations

from typing import Optional

# check id -> (the likely causes to check, the next step)
GUIDE: dict[str, tuple[str, str]] = {
    "no_payments": (
        "the add-on's entry point is down or unreachable (IVR number, text short code, web page), "
        "its payments are posted under another channel, or the payments feed is late",
        "try a test payment through the add-on and ask the specialist to check its set-up today",
    ),
    "above_projection": (
        "a bill run or due date that moved payers to the add-on, a promotion, or payments from another "
        "channel counted as the add-on's",
        "confirm with the specialist whether a bill run or campaign explains it; dismiss it as expected if so",
    ),
    "below_projection": (
        "slow adoption (payers not told yet), a broken step in the add-on's flow, or a projection that was "
        "too high",
        "ask the specialist whether the biller has announced the add-on, and test its payment flow",
    ),
    "failure_rate": (
        "a set-up problem (wrong merchant or bank details, address checks too strict) or a processor issue",
        "look at the top decline reasons in the day's summary and raise the most common with the specialist",
    ),
    "drop_vs_baseline": (
        "an outage or a change on the biller's side (new bill format, a link or phone number changed)",
        "ask the specialist what changed on the biller's side and test the add-on end to end",
    ),
    "duplicate_payments": (
        "payers retrying after a timeout or a confusing confirmation screen",
        "search the Biller Portal for the duplicates and have the specialist check the confirmation step",
    ),
    "outsized_payment": (
        "a payer typing the amount wrong (an extra digit) or a deliberate large payment",
        "find the payment in the Biller Portal and confirm it with the biller before it settles",
    ),
    "returns": (
        "bank account details captured wrongly (routing or account number) or payers disputing payments",
        "look at the return reasons in the day's summary; repeated R03/R04 point at the account entry step",
    ),
    "source_unavailable": (
        "the payments source (the Biller Portal's API) was down or refused the bot",
        "nothing to do yet: the day is read again automatically and the summary updated",
    ),
}


def how_sure(evidence: dict) -> Optional[str]:
    """`this would happen by chance less than once in 10,000 days`, from the check's
    probability; None when the check gives none."""
    p = evidence.get("p_value", evidence.get("p_zero"))
    if not isinstance(p, (int, float)) or isinstance(p, bool) or p < 0:
        return None
    if p < 1e-6:
        return "this would happen by chance less than once in a million days"
    for limit in (1e-5, 1e-4, 1e-3, 1e-2):
        if p < limit:
            return f"this would happen by chance less than once in {round(1 / limit):,} days"
    if p < 0.5:
        return f"this would happen by chance about once in {max(2, round(1 / p)):,} days: worth a look, not certain"
    return "this could well be chance"


def causes(check_id: str) -> Optional[str]:
    g = GUIDE.get(check_id)
    return g[0] if g else None


def next_step(check_id: str) -> Optional[str]:
    g = GUIDE.get(check_id)
    return g[1] if g else None

