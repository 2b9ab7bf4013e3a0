"""The pages' blueprint: login with an API key, the session, CSRF, language and headers.

A person logs in with an API key (``/login``); the key is checked as the API checks it and
kept in Flask's signed session cookie (HTTP-only, ``SameSite=Lax``). Every form POST carries
a random token kept in the session and is refused without it (400, a page that asks to reload
the form). Pages load nothing from another host: templates in ``service/templates``, CSS and
JavaScript in ``service/static``, and a Content-Security-Policy of ``'self'`` says so to the
browser.

``SECRET_KEY`` (``CHAINSCOUT_SECRET_KEY`` in the environment) signs the session; without it
the secret kept in ``var/session_secret`` does (:mod:`recommender.store.session_secret`:
made once, mode 0600), so a session is good in every worker of a server and survives a
restart. Only when that file can be neither read nor made does a process make up a secret of
its own, and log a warning.

Failed logins count against the client's address as failed API keys do
(:mod:`service.http.limits`): past ``AUTH_FAILURES_PER_MINUTE`` the login page answers 429
without looking at the key.
"""

from __future__ import annotations

import functools
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from urllib.parse import quote, urlencode, urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from recommender.store.auth import (
    CORRECT_NODES,
    READ_LEADER_NEEDS,
    READ_MAPS,
    READ_PARKS,
    READ_PROJECTS,
    READ_RANKINGS,
    Principal,
    authenticate,
    authenticate_digest,
    hash_key,
)
from recommender.targeting.stages import stage_label, stage_names
from service.http.downloads import COMPRESSIBLE, GZIP_MIN_BYTES, gzipped
from service.http.errors import ApiError
from service.http.limits import check_auth_failures, count_auth_failure
from service.pages.i18n import DEFAULT_LANGUAGE, LANGUAGES, data_helpers, translate

__all__ = [
    "COMPRESSIBLE",
    "CSP",
    "CSRF_KEY",
    "GZIP_MIN_BYTES",
    "LANG_KEY",
    "LOGIN_AT",
    "NAV",
    "SESSION_KEY",
    "bp",
    "csrf_token",
    "log",
    "login",
    "login_required",
    "logout",
    "principal_of",
    "role_text",
    "session_principal",
    "stage_text",
]

log = logging.getLogger("service.pages")
bp = Blueprint("pages", __name__)

SESSION_KEY = "key_digest"  # the SHA-256 of the key: the cookie never carries the key itself
LOGIN_AT = "login_at"  # when the session logged in (Unix seconds)
CSRF_KEY = "csrf_token"
LANG_KEY = "lang"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


@bp.record_once
def _configure(setup_state) -> None:
    """Sign sessions with the configured secret, else the one kept in ``var/``; keep the
    cookie away from scripts and other sites' POSTs."""
    from recommender.store.session_secret import session_secret

    config = setup_state.app.config
    secret = config.get("CHAINSCOUT_SECRET_KEY") or config.get("SECRET_KEY")
    if not secret:
        var_dir = setup_state.app.extensions["chainscout"].settings.var_dir
        try:
            secret = session_secret(var_dir)
        except OSError as exc:
            secret = secrets.token_hex(32)
            log.warning("no CHAINSCOUT_SECRET_KEY set and no session secret in %s (%s): "
                        "sessions are signed with a key made up by this process and end "
                        "when it does", var_dir, exc)
    config["SECRET_KEY"] = secret
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    # Behind HTTPS, CHAINSCOUT_SESSION_COOKIE_SECURE=true keeps the cookie off plain HTTP.


# --- per request: language, CSRF, headers ------------------------------------------------------
def csrf_token() -> str:
    """Return the session's CSRF token, making one on first use."""
    token = session.get(CSRF_KEY)
    if not token:
        token = session[CSRF_KEY] = secrets.token_urlsafe(32)
    return token


@bp.before_request
def _before() -> None:
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session[LANG_KEY] = lang
    g.lang = session.get(LANG_KEY) if session.get(LANG_KEY) in LANGUAGES else DEFAULT_LANGUAGE
    if request.method == "POST":
        sent = request.form.get(CSRF_KEY, "")
        kept = session.get(CSRF_KEY, "")
        if not sent or not kept or not hmac.compare_digest(sent, kept):
            abort(400, description="the form's CSRF token is missing or wrong; reload the page")


@bp.errorhandler(400)
def _form_refused(error):
    """A form refused (its CSRF token missing or wrong) is a page for a person, in the page's
    language, rather than the API's JSON error body."""
    return render_template("pages/forbidden.html", message="form_expired"), 400


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return _gzip(response)


def _gzip(response: Response) -> Response:
    """Compress a page or a map layer for a browser that accepts gzip (the dashboard's HTML
    carries every chain node's diagnosis, the basemap every country: both shrink 5-10x)."""
    return gzipped(response)


@bp.app_context_processor
def _template_helpers() -> dict:
    lang = g.get("lang", DEFAULT_LANGUAGE)

    def lang_url(code: str) -> str:
        """This page in language ``code``: its path and every query parameter (a repeated
        filter too), as given; never through ``url_for``, which would take parameters named
        ``endpoint``, ``_method``, ``_external`` or like a path's as its own arguments."""
        args = [(name, value) for name, value in request.args.items(multi=True)
                if name != "lang"]
        return (f"{quote(request.script_root + request.path)}?"
                f"{urlencode([*args, ('lang', code)])}")

    principal = g.get("principal")
    return {"t": lambda key: translate(key, lang), "lang": lang, "csrf_token": csrf_token,
            "lang_url": lang_url, "principal": principal, "nav": _nav(principal),
            "stage_text": lambda stage: stage_text(stage, lang),
            "role_text": lambda role: role_text(role, lang), **data_helpers(lang)}


def role_text(role: str, lang: str) -> str:
    """A key's role as a person reads it in ``lang`` (``officer``: 招商专员, Investment officer).

    >>> role_text("park_manager", "zh"), role_text("leader", "en")
    ('园区管理员', 'Chain-leader liaison')
    """
    return translate(f"role_{role}", lang)


def stage_text(stage: str | int, lang: str) -> str:
    """A recruitment stage, by name (``"mou"``) or outcome code (3; -1 never contacted), as a
    person reads it in ``lang``: the library's labels (:mod:`recommender.targeting.stages`), so that
    the pages say what the exported files say."""
    name = stage_names([int(stage)])[0] if isinstance(stage, int) else str(stage)
    return stage_label(name, lang)


# in this order: a key lands on the first its role may open (a chain leader's: its needs);
# data freshness for the roles that record sources (officers, admins)
NAV = (("pages.dashboard", "dashboard", READ_RANKINGS), ("pages.pipeline", "nav_pipeline",
       READ_PROJECTS), ("pages.leader_needs", "nav_leader_needs", READ_LEADER_NEEDS),
       ("pages.recruitment_map", "map_title", READ_MAPS), ("pages.parks", "park_list", READ_PARKS),
       ("pages.data_freshness", "freshness_title", CORRECT_NODES))


def _nav(principal: Principal | None) -> list[dict]:
    """The pages the logged-in role may open, for the header (none before logging in)."""
    if principal is None:
        return []
    current = request.endpoint
    return [{"href": url_for(endpoint), "label": label, "current": endpoint == current,
             "id": "nav-" + endpoint.split(".", 1)[1].replace("_", "-")}
            for endpoint, label, permission in NAV if principal.can(permission)]


# --- who is logged in ------------------------------------------------------------------------
def principal_of(key: str | None) -> Principal | None:
    """Verify ``key`` as the API does (through the process's cache of verified keys)."""
    if not key:
        return None
    return _cached_principal(key, lambda store: authenticate(store, key))


def session_principal() -> Principal | None:
    """The principal of the session's key: None when the session has none, is older than
    ``SESSION_HOURS`` or its key was revoked (seen within the key cache's life)."""
    digest, since = session.get(SESSION_KEY), session.get(LOGIN_AT)
    if not isinstance(digest, str) or not isinstance(since, int | float):
        return None
    if time.time() - since > float(current_app.config["SESSION_HOURS"]) * 3600:
        return None
    # cached apart from the API's entries, which are keys
    return _cached_principal(f"sha256:{digest}",
                             lambda store: authenticate_digest(store, digest))


def _cached_principal(cache_key: str, verify: Callable) -> Principal | None:
    """The principal the process's key cache holds for ``cache_key``, else ``verify(store)``'s
    (kept in the cache when it is one)."""
    app_state = current_app.extensions["chainscout"]
    principal = app_state.principals.get(cache_key)
    if principal is None:
        principal = verify(app_state.store)
        if principal is not None:
            app_state.principals.put(cache_key, principal)
    return principal


def login_required(view: Callable) -> Callable:
    """Run ``view`` for a logged-in key (``g.principal``); otherwise go to the login page."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        principal = session_principal()
        if principal is None:
            session.pop(SESSION_KEY, None)
            session.pop(LOGIN_AT, None)
            return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
        g.principal = principal
        return view(*args, **kwargs)

    return guarded


def _safe_next(target: str | None, principal: Principal) -> str:
    """A local path to go to after logging in; anything else goes to the first page the
    role may open (the dashboard; a park manager's parks)."""
    # Printable only: a CR or LF would break the Location header (a 500).
    if target and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target and target.isprintable():
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    if principal.park_scope is not None:  # a park manager starts at their own parks
        return url_for("pages.parks")
    pages = _nav(principal)
    return pages[0]["href"] if pages else url_for("pages.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    status = 200
    if request.method == "POST":
        key = request.form.get("api_key", "").strip()
        refused = _guessing()
        if refused is not None:
            return refused
        principal = principal_of(key)
        if principal is not None:
            lang = session.get(LANG_KEY)
            session.clear()
            session[SESSION_KEY] = hash_key(key)
            session[LOGIN_AT] = int(time.time())
            if lang:
                session[LANG_KEY] = lang
            csrf_token()  # a new token for the new login
            return redirect(_safe_next(request.form.get("next"), principal))
        error, status = "bad_key", 401
        count_auth_failure()
    return render_template("pages/login.html", error=error,
                           next=request.values.get("next", "")), status


def _guessing():
    """The login page, 429 with ``Retry-After``, for an address that sent too many bad keys;
    None for any other."""
    try:
        check_auth_failures()
    except ApiError as exc:
        page = render_template("pages/login.html", error="too_many_attempts",
                               next=request.values.get("next", ""))
        return page, 429, {"Retry-After": exc.headers["Retry-After"]}
    return None


@bp.route("/logout", methods=["POST"])
def logout():
    lang = session.get(LANG_KEY)
    session.clear()
    if lang:
        session[LANG_KEY] = lang
    return redirect(url_for("pages.login"))
