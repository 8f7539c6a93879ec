"""Client Services transition (steps 2 and 3 of the post-live process).

- intake:  the httpx client of the case intake (interfaces.md), and how its
           answers are classified: created, worth a retry, or final.
- content: the Client Services avenues of the handoff, from CS_HANDOFF_FILE
           or the built-in bot/cs/handoff_default.yaml.
- rules:   who may open a case, send the handoff or acknowledge it; how a
           biller's mention is answered. Plain Python, no Slack, no database.
- store:   the rows (cases, handoffs, the shared channel) and the claims.
- cases:   CaseDesk: store a case before sending, send it with one
           Idempotency-Key until the intake answers, announce it.
- handoff: HandoffDesk: send the handoff to the shared channel, record the
           biller's acknowledgement.
- views:   Block Kit for the modals and messages above.
"""
