"""Every action id and modal callback id the bot's messages carry.

Handlers register on these; views put them on buttons and modals. One table,
so two parts cannot pick the same id and a newcomer finds them in one place.
"""

# ---- the workflow (checklist, registration, completion)
A_STEP_DONE = "step_done"
A_STEP_UNDO = "step_undo"
A_SKIP = "step_skip"
A_COMPLETE = "open_complete"
A_ITEM_RESOLVE = "item_resolve"
A_ITEM_CASE = "item_case"
A_ADD_ITEM = "add_item"
A_HANDOFF = "send_handoff"
A_MONITOR_CONFIRM = "monitor_done_anyway"
A_REFRESH = "refresh_checklist"

# modal callback ids
V_REGISTER = "register_project"
V_COMPLETE = "complete_project"
V_RESOLVE = "resolve_item"
V_SKIP = "skip_address"
V_ADD_ITEM = "add_item"
V_CONFIRM_MONITOR = "confirm_monitor"

# ---- Client Services
V_CASE = "cs_open_case"
V_HANDOFF = "cs_send_handoff"
V_SHARED = "cs_set_shared"
A_HANDOFF_ACK = "cs_handoff_ack"
A_SET_SHARED = "cs_set_shared_open"

# ---- monitoring alerts
A_ALERT_ACK = "alert_ack"
A_ALERT_ITEM = "alert_item"
A_ALERT_DISMISS = "alert_dismiss"
A_ALERT_UNDO = "alert_undo"
A_ALERT_DETAILS = "alert_details"
V_ALERT_DISMISS = "alert_dismiss_reason"
A_SHOW_DAY = "summary_show_day"  # a day's full summary from a catch-up message
A_HOME_REGISTER = "home_register"  # the App Home's "Register a project": the form with a channel picker

# ---- nudges (reminders with snooze)
A_NUDGE_ACT = "nudge_act"
A_NUDGE_OPEN = "nudge_open"  # a link to the project channel: acknowledged, nothing else
A_NUDGE_SNOOZE_DAY = "nudge_snooze_day"
A_NUDGE_SNOOZE_WEEK = "nudge_snooze_week"
A_NUDGE_STOP = "nudge_stop"
V_NUDGE_ACT = "nudge_act"
V_MONITOR_REASON = "monitor_reason"  # Monitor done with no daily summary yet: the reason
