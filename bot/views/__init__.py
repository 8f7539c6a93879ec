"""Block Kit, in one place: plain data in, blocks out; no database, no Slack calls.

- blocks:     the primitives (value encoding, text, sections, buttons, inputs, modals)
- ids:        every action id and modal callback id
- workflow:   help, the checklist, lists, the App Home, the workflow's modals
- monitoring: daily summaries, alerts and their modal
- cs:         Client Services: the case, the handoff, answers to a biller

`from bot import views` gives the primitives, the ids and the workflow's views.
"""

from bot.views.blocks import *  # noqa: F401,F403 - the package's own submodules, re-exported
from bot.views.blocks import Block, parse_value, value  # noqa: F401
from bot.views.ids import *  # noqa: F401,F403
from bot.views.workflow import *  # noqa: F401,F403
