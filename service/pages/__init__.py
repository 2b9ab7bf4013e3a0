"""Pages for people: server-rendered HTML over the same snapshot the JSON API answers from.

:mod:`~service.pages.blueprint` holds the blueprint and what every page shares (login with an
API key, the session, CSRF, language, header links by role, security headers, gzip); each page
area registers its routes on it: :mod:`~service.pages.dashboard` (with
:mod:`~service.pages.chain_graph`), :mod:`~service.pages.portraits`,
:mod:`~service.pages.review` (node corrections) and :mod:`~service.pages.maps`. UI strings
come from :mod:`~service.pages.i18n`.
"""

from service.pages import dashboard, maps, portraits, review
from service.pages.blueprint import bp

__all__ = ["bp", "dashboard", "maps", "portraits", "review"]
