"""The local workspace in a real browser: Debian's Chromium driven by Playwright,
the page served by `bot.sandbox.demo`, the bot unmodified behind it over HTTP.

Walks the post-live process as people do it: register from the message box,
checklist clicks, modals with their errors, reactions, a mention of the bot,
the handoff seen by the biller, completion and the lock. Steps that need a
part this build lacks (monitoring; Client Services) are skipped with the
reason. Screenshots of each stage go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo
from pathlib import Path

import pytest

from bot.sandbox.demo import cast, features
from bot.sandbox.demo.run import DemoStack
from bot.settings import load_settings
from tests.support.paths import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = REPO_ROOT / "test-artifacts" / "screenshots"

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium package (apt-get install chromium) "
                "to run the browser tests", allow_module_level=True)
try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:
    pytest.skip("playwright is not installed: pip install -e '.[test]'", allow_module_level=True)

SPEC, MGR, COLL, BILLER = (p.user_id for p in (cast.SPECIALIST, cast.MANAGER, cast.COLLEAGUE, cast.BILLER))


@pytest.fixture(scope="module", autouse=True)
def _fresh_screenshots():
    if SHOTS.exists():
        shutil.rmtree(SHOTS)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def demo(request, tmp_path):
    seeded = request.node.get_closest_marker("unseeded") is None
    stack = DemoStack(load_settings(_env_file=None), tmp_path / "demo", port=0, scheduler=False,
                      seed=seeded).start()
    yield stack
    stack.stop()


@pytest.fixture
def page(browser, demo):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"the page raised: {errors}"


# ---- helpers ----------------------------------------------------------------------------------
def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def open_as(page: Page, demo: DemoStack, user: str, where: str) -> None:
    page.goto(f"{demo.url}?as={user}#/{where}")
    expect(page.locator("#persona")).to_have_value(user)


def type_in(page: Page, text: str) -> None:
    box = page.locator("#composer-input")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def checklist(page: Page, title: str):
    return page.locator(".msg", has=page.locator(".sk-header", has_text=f"Post-live: {title}")).last


def ephemeral(page: Page, text: str):
    return page.locator('.msg[data-ephemeral="true"]', has_text=text).last


def modal(page: Page, callback_id: str):
    return page.locator(f'.modal[data-callback-id="{callback_id}"]')


def no_refusals(page: Page, demo: DemoStack) -> None:
    expect(page.locator("#problems-toggle")).to_have_text("Slack refusals: 0")
    assert demo.slack.errors == [] and demo.slack.warnings == []


# ---- the walk through the process --------------------------------------------------------------
def test_register_checklist_complete_and_the_lock(page, demo):
    open_as(page, demo, SPEC, f"c/{cast.OAK.id}")
    expect(page.locator(".msg", has_text="Can you register it here?")).to_be_visible()
    shot(page, "01-oak-county-before-registering")

    type_in(page, f'/addon new biller=OAK-COUNTY addon="Pay by text" golive={date.today()} projected=60 '
                  "manager=@maria channel=text")
    card = checklist(page, "Pay by text · OAK-COUNTY")
    expect(card).to_be_visible()
    expect(card.locator(".mention", has_text="@maria")).to_be_visible()
    expect(ephemeral(page, "Registered project")).to_contain_text("Only visible to you")
    shot(page, "02-registered-from-the-message-box")

    # Monitor done on the day of go-live, with no daily summary yet: a reason is asked for.
    card.locator('[data-block="step_monitor"] [data-action-id="step_done"]').click()
    why = modal(page, "monitor_reason")
    expect(why).to_contain_text("No daily summary")
    why.locator('[data-block-id="note"][data-action-id="note"]').fill("Watched the first payments live with the biller")
    shot(page, "03a-monitor-done-asks-why-with-no-summary")
    why.locator("[data-modal=submit]").click()
    expect(card.locator('[data-block="step_monitor"]')).to_contain_text("Done by @sam")

    # Step 2 not applicable, through its modal: Slack's client refuses an empty reason.
    card.locator('[data-action-id="step_skip"]').click()
    skip = modal(page, "skip_address")
    skip.locator("[data-modal=submit]").click()
    expect(skip.locator('[data-input-block="note"] .sk-error')).to_have_text("Please complete this required field.")
    skip.locator('[data-block-id="note"][data-action-id="note"]').fill("Text to pay went live with nothing left over")
    skip.locator("[data-modal=submit]").click()
    expect(skip).to_have_count(0)
    expect(card.locator('[data-block="step_address"]')).to_contain_text("Not applicable")
    shot(page, "03-checklist-clicks")

    type_in(page, "/addon done handoff Biller told by phone how to reach Client Services")
    expect(card.locator('[data-block="step_handoff"]')).to_contain_text("Done by @sam")

    # Completion through the modal: the schedule must be confirmed at 100%.
    card.locator('[data-action-id="open_complete"]').click()
    done = modal(page, "complete_project")
    done.locator("[data-modal=submit]").click()
    expect(done.locator('[data-input-block="schedule"] .sk-error')).to_be_visible()
    shot(page, "04-complete-modal-refused-unticked")
    done.get_by_label("Every item on the project schedule is at 100%").check()
    done.locator("[data-modal=submit]").click()
    expect(done).to_have_count(0)
    expect(card).to_contain_text("Nothing on this project can change")
    expect(page.locator(".msg", has_text="is complete and archived by")).to_be_visible()
    expect(card.locator("[data-action-id]")).to_have_count(0)  # no buttons on a locked checklist
    shot(page, "05-completed-and-locked")

    # The locked project refuses an edit.
    type_in(page, "/addon item One more thing to fix")
    expect(ephemeral(page, "can no longer be changed")).to_be_visible()
    shot(page, "06-locked-project-refuses-an-edit")
    no_refusals(page, demo)


def test_completion_against_the_simulated_schedule_and_the_closing_report(page, demo, browser):
    """A newcomer: step 4 shows the schedule's progress; `complete` is refused while two
    items are below 100%; on the sheet they are brought to 100%; then it completes and
    the closing report is posted."""
    if not features.client_services(demo.deps):
        pytest.skip(features.CS_MISSING)
    open_as(page, demo, SPEC, f"c/{cast.CITY.id}")
    card = checklist(page, "Pay by phone · CITY-42")
    expect(card.locator('[data-action-id="send_handoff"]')).to_be_visible(timeout=15_000)
    expect(card).to_contain_text("items at 100%; 2 to go: ")
    expect(card).to_contain_text("Close-out call with the biller (50%)")
    shot(page, "07-step-4-shows-the-schedule")
    card.locator('[data-action-id="send_handoff"]').click()
    preview = modal(page, "cs_send_handoff")
    preview.locator('[data-input-block="placeholders"] input[type=checkbox]').check()  # the built-in details
    preview.locator("[data-modal=submit]").click()
    expect(preview).to_have_count(0)
    expect(card.locator('[data-block="step_handoff"]')).to_contain_text("Done by @sam")

    type_in(page, "/addon complete")
    refused = ephemeral(page, "not at 100%")
    expect(refused).to_contain_text("Update reconciliation guide (90%)")
    expect(refused).to_contain_text("Close-out call with the biller (50%)")
    shot(page, "08-complete-refused-naming-the-items")
    assert not demo.deps.service.snapshot(demo.deps.service.project_in_channel(cast.CITY.id).id).locked

    # The sheet, as the schedule tool shows it: bring the two items to 100%.
    href = card.locator('a[href*="/sheets/4201/view"]').first.get_attribute("href")
    sheet = page.context.new_page()
    sheet.goto(href)
    for _ in range(2):
        sheet.get_by_role("button", name="Mark 100%").first.click()
        sheet.wait_for_load_state()
    expect(sheet.get_by_role("button", name="Mark 100%")).to_have_count(0)
    sheet.close()

    type_in(page, "/addon complete")
    expect(ephemeral(page, "is complete")).to_be_visible()
    report = page.locator(".msg", has=page.locator(".sk-header", has_text="Closing report")).last
    expect(report).to_contain_text("go-live ")
    expect(report).to_contain_text("Status set to Complete")
    expect(report).to_contain_text("acknowledged")
    expect(page.locator(".msg", has_text="is complete and archived by")).to_be_visible()
    assert demo.deps.schedule_simulator.status(4201) == "Complete"
    shot(page, "09-completed-with-the-closing-report")
    no_refusals(page, demo)


@pytest.mark.unseeded
def test_register_modal_shows_the_bots_errors_under_the_fields(page, demo):
    open_as(page, demo, SPEC, f"c/{cast.OAK.id}")
    type_in(page, "/addon new biller=OAK-COUNTY")
    form = modal(page, "register_project")
    expect(form).to_be_visible()
    expect(form.locator('[data-block-id="biller"][data-action-id="biller"]')).to_have_value("OAK-COUNTY")
    form.locator('[data-action-id="addon"]').fill("Pay by text")
    form.locator('[data-action-id="golive"]').fill("2026-11-20")
    form.locator('[data-action-id="projected"]').fill("lots")
    form.locator('[data-action-id="manager"]').select_option(MGR)
    expect(form.locator('[data-action-id="specialists"] option:checked')).to_have_text(re.compile("Sam Rivera"))
    form.locator('[data-action-id="pay_channel"]').fill("text")
    form.locator("[data-modal=submit]").click()
    error = form.locator('[data-input-block="projected"] .sk-error')
    expect(error).to_contain_text("payments per day")  # response_action: errors, from the bot
    shot(page, "07-register-modal-with-the-bots-error")
    form.locator('[data-action-id="projected"]').fill("60")
    form.locator("[data-modal=submit]").click()
    expect(form).to_have_count(0)
    expect(checklist(page, "Pay by text · OAK-COUNTY")).to_contain_text("60 payments/day")
    no_refusals(page, demo)


def test_personas_reactions_mentions_threads_and_the_app_home(page, demo):
    # The colleague may read but not change: the answer is only for them.
    open_as(page, demo, COLL, f"c/{cast.RIVERTON.id}")
    card = checklist(page, "Text to pay · RIVERTON-WATER")
    card.locator('[data-block="step_monitor"] [data-action-id="step_done"]').click()
    expect(ephemeral(page, "Only this project's specialist")).to_be_visible()
    expect(card.locator('[data-block="step_monitor"]')).not_to_contain_text("Done by")

    # A reaction from the picker is delivered to the bot as reaction_added.
    card.hover()
    card.locator(".add-reaction").click()
    page.locator('.emoji-picker [data-emoji="eyes"]').click()
    expect(card.locator('.reaction[data-reaction="eyes"] .count')).to_have_text("1")
    assert any(d.kind == "event_callback:reaction_added" for d in demo.slack.deliveries)
    shot(page, "08-colleague-refused-and-a-reaction")

    # The biller, switched to in the persona menu, sees only the shared channel, marked external.
    page.select_option("#persona", BILLER)
    expect(page.locator("#channel-list .side-item")).to_have_count(1)
    expect(page.locator(f'#channel-list [data-channel-id="{cast.SHARED.id}"]')).to_contain_text("external")
    expect(page.locator("#channel-badge")).to_contain_text("External")
    expect(page.locator("#apps-title")).to_be_hidden()
    type_in(page, "@addon-bot who do we call for help with phone payments?")
    asked = page.locator(".msg", has_text="who do we call for help").last
    expect(asked.locator(".replies-link")).to_contain_text("1 reply")
    asked.locator(".replies-link").click()
    expect(page.locator("#thread-timeline .msg")).to_have_count(2)
    assert any(d.kind == "event_callback:app_mention" for d in demo.slack.deliveries)
    shot(page, "09-biller-mentions-the-bot-thread")

    # The specialist's App Home lists their projects (published on app_home_opened).
    page.select_option("#persona", SPEC)
    page.locator('#app-list [data-app="addon-bot"]').click()
    expect(page.locator("#home-body")).to_contain_text("Your post-live projects")
    expect(page.locator("#home-body")).to_contain_text("RIVERTON-WATER")
    shot(page, "10-app-home")
    no_refusals(page, demo)


def test_item_escalated_to_a_client_services_case(page, demo):
    if not features.client_services(demo.deps):
        pytest.skip(features.CS_MISSING)
    open_as(page, demo, SPEC, f"c/{cast.MAPLE.id}")
    card = checklist(page, "AutoPay · MAPLE-GAS")
    card.locator('[data-block="item_1"] .overflow-btn').click()
    card.locator('[data-block="item_1"] .overflow-item', has_text="Open a Client Services case").click()
    case = modal(page, "cs_open_case")
    expect(case.locator('[data-action-id="subject"]')).to_have_value(re.compile("Receipt emails"))
    shot(page, "11-case-modal")
    case.locator("[data-modal=submit]").click()
    expect(case).to_have_count(0)
    expect(card.locator('[data-block="item_1"]')).to_contain_text("Client Services case")
    page.locator(f'#channel-list [data-channel-id="{cast.CLIENT_SERVICES.id}"]').click()
    expect(page.locator(".msg", has_text="Receipt emails still show the old Maple Gas logo")).to_be_visible()
    shot(page, "12-case-in-client-services")
    no_refusals(page, demo)


def test_handoff_seen_and_acknowledged_by_the_biller(page, demo):
    if not features.client_services(demo.deps):
        pytest.skip(features.CS_MISSING)
    open_as(page, demo, SPEC, f"c/{cast.CITY.id}")
    card = checklist(page, "Pay by phone · CITY-42")
    card.locator('[data-action-id="send_handoff"]').click()
    preview = modal(page, "cs_send_handoff")
    expect(preview).to_be_visible()
    shot(page, "13-handoff-preview")
    preview.locator("[data-modal=submit]").click()  # the built-in details are placeholders: asked first
    expect(preview.locator('[data-input-block="placeholders"] .sk-error')).to_contain_text("placeholder contacts")
    preview.locator('[data-input-block="placeholders"] input[type=checkbox]').check()
    preview.locator("[data-modal=submit]").click()
    expect(preview).to_have_count(0)
    expect(card.locator('[data-block="step_handoff"]')).to_contain_text("not yet acknowledged")

    page.select_option("#persona", BILLER)
    handoff = page.locator(".msg", has_text="support for Pay by phone").last
    expect(handoff).to_be_visible()
    handoff.locator('[data-action-id="cs_handoff_ack"]').click()
    expect(handoff).to_contain_text("confirmed they have these details")
    shot(page, "14-handoff-acknowledged-by-the-biller")
    page.select_option("#persona", SPEC)
    page.locator(f'#channel-list [data-channel-id="{cast.CITY.id}"]').click()
    expect(card.locator('[data-block="step_handoff"]')).to_contain_text("acknowledged by @bill")
    no_refusals(page, demo)


def test_alert_acknowledged_by_the_manager(page, demo):
    if demo.monitoring() is None:
        pytest.skip(features.MONITORING_MISSING)
    open_as(page, demo, MGR, f"c/{cast.RIVERTON.id}")
    summary = page.locator(".msg", has_text="Payments ").filter(has_text="Checks raised").last
    expect(summary).to_contain_text("no_payments")
    expect(summary).to_contain_text("Needs a look")
    chart = summary.locator(".sk-chart")
    expect(chart.locator("svg")).to_be_visible()  # the data_visualization block, drawn
    expect(chart.locator("svg circle").first).to_be_visible()  # a point a day
    expect(chart).to_contain_text("Projection")
    SHOTS.mkdir(parents=True, exist_ok=True)
    summary.screenshot(path=str(SHOTS / "14-daily-summary-with-its-chart.png"))
    summary.locator(".replies-link").click()
    expect(page.locator("#thread-timeline")).to_contain_text("no_payments")
    app = page.locator('#app-list [data-app="addon-bot"]')
    expect(app).to_have_class(re.compile("unread"))  # the alert came to the manager by DM
    shot(page, "15-anomaly-in-the-daily-summary")
    app.click()
    alert = page.locator("#timeline .msg", has_text="check: no_payments").last
    expect(alert.locator('[data-action-id="alert_ack"]')).to_be_visible()
    expect(alert).to_contain_text("Likely causes to check")
    expect(alert).to_contain_text("less than once in")
    shot(page, "16-anomaly-alert-for-the-manager")
    alert.locator('[data-action-id="alert_ack"]').click()
    expect(alert).to_contain_text(re.compile("acknowledged by", re.I))
    expect(alert.locator('[data-action-id="alert_ack"]')).to_have_count(0)
    expect(alert.locator('[data-action-id="alert_undo"]')).to_be_visible()
    shot(page, "17-alert-acknowledged-by-the-manager")
    # The weekly digest, shown now to the manager.
    open_as(page, demo, MGR, f"c/{cast.RIVERTON.id}")
    type_in(page, "/addon digest")
    digest = ephemeral(page, "Post-live digest")
    expect(digest).to_contain_text("RIVERTON-WATER")
    expect(digest.locator(".sk-chart svg")).to_be_visible()
    shot(page, "18-weekly-digest")
    no_refusals(page, demo)


def test_a_nudge_reaches_the_specialist_and_is_snoozed(page, demo):
    """Maple's item #1 stays open: ten days on, on a working morning in the project's time zone,
    the specialist is reminded by DM, with act / snooze / stop, and a snooze edits it in place."""
    if demo.deps.nudges is None:
        pytest.skip("nudges are not wired in this build")
    p = demo.deps.service.project_in_channel(cast.MAPLE.id)
    day = demo.deps.clock().astimezone(ZoneInfo(p.tz)).date() + timedelta(days=10)
    while day.weekday() >= 5 or day.month == 12 and day.day in (24, 25, 26, 31) or (day.month, day.day) == (1, 1):
        day += timedelta(days=1)
    later = datetime(day.year, day.month, day.day, 10, 30, tzinfo=ZoneInfo(p.tz))
    demo.deps.nudges.clock = lambda: later  # the desk's own clock: what is due, and the snooze, ten days on
    queued = demo.deps.nudges.tick(later)
    assert any(k.startswith(f"nudge:item:{p.id}:") and k.endswith(SPEC) for k in queued), queued
    demo.deps.notifier.drain()
    open_as(page, demo, SPEC, f"c/{cast.MAPLE.id}")
    page.locator('#app-list [data-app="addon-bot"]').click()
    nudge = page.locator("#timeline .msg", has_text="Reminder").filter(has_text="post go-live item").last
    expect(nudge.locator('[data-action-id="nudge_snooze_week"]')).to_be_visible()
    expect(nudge.locator('[data-action-id="nudge_stop"]')).to_be_visible()
    shot(page, "19-nudge-for-the-specialist")
    nudge.locator('[data-action-id="nudge_snooze_week"]').click()
    expect(nudge).to_contain_text("Snoozed by")
    expect(nudge.locator('[data-action-id="nudge_snooze_week"]')).to_have_count(0)
    shot(page, "20-nudge-snoozed")
    no_refusals(page, demo)


def test_daily_job_control(page, demo):
    open_as(page, demo, MGR, f"c/{cast.RIVERTON.id}")
    if demo.monitoring() is None:
        expect(page.locator("#daily-run")).to_be_disabled()
        expect(page.locator("#daily-note")).to_have_text(features.MONITORING_MISSING)
        return
    page.locator("#daily-date").fill(demo.daily_info()["default_date"])
    page.locator("#daily-run").click()
    expect(page.locator(".toast", has_text="Daily job run for")).to_contain_text("RIVERTON-WATER")
    no_refusals(page, demo)


def test_the_panel_shows_what_slack_refused(page, demo):
    open_as(page, demo, SPEC, f"c/{cast.MAPLE.id}")
    no_refusals(page, demo)
    demo.slack.inject_error("chat.update", "invalid_blocks")  # as if the bot sent blocks Slack refuses
    card = checklist(page, "AutoPay · MAPLE-GAS")
    card.locator('[data-block="step_monitor"] [data-action-id="step_undo"]').click()
    expect(page.locator("#problems-toggle")).to_have_text(re.compile("Slack refusals: [1-9]"))
    expect(page.locator("#problems")).to_be_visible()
    expect(page.locator("#problems-list .problem").first).to_contain_text("chat.update: invalid_blocks")
    shot(page, "18-slack-refusals-panel")


@pytest.mark.unseeded
def test_plain_messages_and_commands_the_client_refuses(page, demo):
    open_as(page, demo, COLL, f"c/{cast.OAK.id}")
    type_in(page, "Welcome aboard @sam, see #client-services for cases")
    said = page.locator(".msg", has_text="Welcome aboard").last
    expect(said.locator(".mention", has_text="@sam")).to_be_visible()
    expect(said.locator(".channel-ref", has_text="#client-services")).to_be_visible()
    page.locator("#composer-input").fill("/remind me tomorrow")
    page.locator("#composer-input").press("Enter")
    expect(page.locator("#composer-error")).to_contain_text("/remind is not a valid command")


# ---- the renderer ------------------------------------------------------------------------------
KITCHEN_SINK = [
    {"type": "header", "text": {"type": "plain_text", "text": "Every element :tada:"}},
    {"type": "section", "block_id": "styled",
     "text": {"type": "mrkdwn", "text": "*bold* _italic_ ~strike~ `code` <https://example.com|a link> "
                                         "<@U0MGR> <#C0CS> &lt;script&gt;x&lt;/script&gt; &amp; :eyes:\n&gt; a quote"}},
    {"type": "section", "block_id": "menu", "text": {"type": "mrkdwn", "text": "An overflow menu"},
     "accessory": {"type": "overflow", "action_id": "ks_overflow", "options": [
         {"text": {"type": "plain_text", "text": "First"}, "value": "one"},
         {"text": {"type": "plain_text", "text": "Second"}, "value": "two"}]}},
    {"type": "divider"},
    {"type": "actions", "block_id": "acts", "elements": [
        {"type": "button", "action_id": "ks_danger", "style": "danger", "value": "boom",
         "text": {"type": "plain_text", "text": "Delete"},
         "confirm": {"title": {"type": "plain_text", "text": "Really delete?"},
                     "text": {"type": "mrkdwn", "text": "This *cannot* be undone."},
                     "confirm": {"type": "plain_text", "text": "Delete it"},
                     "deny": {"type": "plain_text", "text": "Keep it"}, "style": "danger"}},
        {"type": "static_select", "action_id": "ks_select",
         "placeholder": {"type": "plain_text", "text": "Pick a colour"},
         "options": [{"text": {"type": "plain_text", "text": "Red"}, "value": "red"},
                     {"text": {"type": "plain_text", "text": "Blue"}, "value": "blue"}]},
        {"type": "checkboxes", "action_id": "ks_boxes",
         "options": [{"text": {"type": "mrkdwn", "text": "*Ticked*"}, "value": "t"}]},
        {"type": "datepicker", "action_id": "ks_date"}]},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "check: `no_payments` · 2026-11-20"}]},
]


def _actions(demo: DemoStack, action_id: str) -> list[dict]:
    return [a for d in demo.slack.deliveries if d.kind == "block_actions"
            for a in d.payload.get("actions", []) if a.get("action_id") == action_id]


@pytest.mark.unseeded
def test_block_kit_renders_and_every_element_acts(page, demo):
    from bot.sandbox.localslack import validate_message_blocks

    assert validate_message_blocks(KITCHEN_SINK) == []
    demo.slack.ws.post_message(cast.OAK.id, user_id=demo.slack.bot_user_id, text="every element",
                               blocks=KITCHEN_SINK)
    open_as(page, demo, SPEC, f"c/{cast.OAK.id}")
    msg = page.locator(".msg", has_text="Every element").last
    styled = msg.locator('[data-block="styled"]')
    for tag, text in (("b", "bold"), ("i", "italic"), ("s", "strike"), ("code", "code")):
        expect(styled.locator(tag, has_text=text)).to_be_visible()
    expect(styled.locator('a[href="https://example.com"]')).to_have_text("a link")
    expect(styled.locator(".mention")).to_have_text("@maria")
    expect(styled.locator(".channel-ref")).to_have_text("#client-services")
    expect(styled).to_contain_text("<script>x</script> & 👀")  # Slack's escapes, shown as text
    expect(styled.locator("script")).to_have_count(0)
    expect(styled.locator(".quote")).to_have_text("a quote")
    expect(msg.locator(".sk-btn.danger")).to_have_text("Delete")
    shot(page, "00-block-kit-elements")

    msg.locator('[data-action-id="ks_danger"]').click()
    expect(page.locator(".confirm-dialog")).to_contain_text("This cannot be undone.")
    page.locator("[data-confirm=deny]").click()
    assert _actions(demo, "ks_danger") == []
    msg.locator('[data-action-id="ks_danger"]').click()
    page.locator("[data-confirm=confirm]").click()
    demo.slack.wait_for(lambda: _actions(demo, "ks_danger"))
    msg.locator('[data-action-id="ks_select"]').select_option("blue")
    demo.slack.wait_for(lambda: _actions(demo, "ks_select"))
    assert _actions(demo, "ks_select")[0]["selected_option"]["value"] == "blue"
    msg.locator('[data-action-id="ks_boxes"] input').check()
    demo.slack.wait_for(lambda: _actions(demo, "ks_boxes"))
    msg.locator(".overflow-btn").click()
    msg.locator(".overflow-item", has_text="Second").click()
    demo.slack.wait_for(lambda: _actions(demo, "ks_overflow"))
    assert _actions(demo, "ks_overflow")[0]["selected_option"]["value"] == "two"
    msg.locator('[data-action-id="ks_date"]').fill("2026-11-20")
    demo.slack.wait_for(lambda: _actions(demo, "ks_date"))
    assert _actions(demo, "ks_date")[0]["selected_date"] == "2026-11-20"
