"""Decline, failure and return reasons in words, with the code in brackets.

The codes are the payments source's `status_code` values (card networks'
decline reasons, ACH return codes per Nacha's return reason codes, refund and
chargeback reasons). An unknown code is shown as it came, never dropped.
"""

from __future__ import annotations

REASONS = {
    # card declines and failures
    "insufficient_funds": "insufficient funds",
    "do_not_honor": "declined by the card's bank",
    "card_expired": "card expired",
    "invalid_card_number": "invalid card number",
    "incorrect_cvc": "wrong security code",
    "avs_mismatch": "billing address did not match",
    "suspected_fraud": "suspected fraud",
    "processing_error": "processing error",
    # ACH failures at submission
    "invalid_routing_number": "invalid routing number",
    "account_validation_failed": "bank account could not be validated",
    # ACH returns (Nacha return reason codes)
    "R01": "insufficient funds",
    "R02": "account closed",
    "R03": "no account / unable to locate account",
    "R04": "invalid account number",
    "R08": "payment stopped",
    "R10": "customer says not authorised",
    "R16": "account frozen",
    "R29": "corporate customer says not authorised",
    # refunds and chargebacks
    "requested_by_customer": "refund requested by the customer",
    "duplicate": "duplicate payment",
    "fraudulent": "chargeback: fraud claimed",
    "unrecognized": "chargeback: payment not recognised",
}


def reason(code: str) -> str:
    """`declined by the card's bank (do_not_honor)`; an unknown code as it came."""
    words = REASONS.get(code)
    return f"{words} ({code})" if words else code
