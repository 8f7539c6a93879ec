"""The time-zone picker of the register modal: a select of IANA zones, grouped
by region, rather than a free-text box (Slack allows 100 options a group)."""

from __future__ import annotations

from bot.views.blocks import plain

ZONES: dict[str, tuple[str, ...]] = {
    "United States and Canada": (
        "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
        "America/Anchorage", "Pacific/Honolulu", "America/Detroit", "America/Indiana/Indianapolis",
        "America/Boise", "America/Puerto_Rico", "America/Toronto", "America/Winnipeg", "America/Edmonton",
        "America/Regina", "America/Vancouver", "America/Halifax", "America/St_Johns",
    ),
    "Latin America": ("America/Mexico_City", "America/Bogota", "America/Lima", "America/Sao_Paulo",
                      "America/Argentina/Buenos_Aires", "America/Santiago"),
    "Europe and Africa": ("Europe/London", "Europe/Dublin", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
                          "Europe/Rome", "Europe/Amsterdam", "Europe/Warsaw", "Europe/Athens",
                          "Africa/Johannesburg", "Africa/Lagos"),
    "Asia and Pacific": ("Asia/Kolkata", "Asia/Singapore", "Asia/Manila", "Asia/Tokyo", "Asia/Shanghai",
                         "Australia/Sydney", "Australia/Perth", "Pacific/Auckland"),
    "Other": ("UTC",),
}


def _option(zone: str) -> dict:
    return {"text": plain(zone.replace("_", " "), 75), "value": zone}


def tz_select(action_id: str, initial: str) -> dict:
    groups = [{"label": plain(name, 75), "options": [_option(z) for z in zones]} for name, zones in ZONES.items()]
    if not any(initial in zones for zones in ZONES.values()):
        groups[-1]["options"].append(_option(initial))  # a zone named on the command line stays selectable
    return {"type": "static_select", "action_id": action_id, "option_groups": groups,
            "initial_option": _option(initial)}
