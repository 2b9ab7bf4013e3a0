"""Pages for people: server-rendered HTML over the same snapshot the JSON API answers from.

:mod:`~service.pages.blueprint` holds the blueprint and what every page shares (login with an
API key, the session, CSRF, language, header links by role, security headers, gzip); each page
area registers its routes on it: :mod:`~service.pages.dashboard` (with
:mod:`~service.pages.chain_graph`), :mod:`~service.pages.portraits`,
:mod:`~service.pages.review` (node corrections), :mod:`~service.pages.maps`,
:mod:`~service.pages.pipeline` (the recruitment projects, and one click to make one),
:mod:`~service.pages.project` (one project, its stage moves and history),
:mod:`~service.pages.cockpit` (the dashboard's pipeline figures and the chain's health over
time), :mod:`~service.pages.leader_needs` (chain leaders' needs) and
:mod:`~service.pages.freshness` (data older than an age). UI strings come from
:mod:`~service.pages.i18n`.
"""

from service.pages import (
    cockpit,
    dashboard,
    freshness,
    leader_needs,
    maps,
    pipeline,
    portraits,
    project,
    review,
)
from service.pages.blueprint import bp

__all__ = ["bp", "cockpit", "dashboard", "freshness", "leader_needs", "maps", "pipeline",
           "portraits", "project", "review"]
