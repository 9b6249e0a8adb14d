"""The optional narrator: fluent prose over the week's checked facts, never new facts.

Off unless ``[narrator]`` is configured. The ``openai`` package (extra ``.[narrator]``) is
imported only when a request is actually sent. See ``narrator.py`` for the flow,
``lock.py`` for what a narrated section must satisfy to replace the deterministic text.
"""

from report_pipeline.narrate.cache import AnswerCache
from report_pipeline.narrate.client import Budget, ChatClient, NarrationError
from report_pipeline.narrate.narrator import Narrator

__all__ = ["AnswerCache", "Budget", "ChatClient", "NarrationError", "Narrator"]
