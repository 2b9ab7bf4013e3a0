"""API keys, roles and permissions of the web service, as plain data and functions.

A key is 43 random letters and digits starting with ``cs``; the store keeps its first
:data:`PREFIX_LENGTH` characters (to show and to find it) and its SHA-256, never the key.
Checking a presented key finds the rows with its prefix and compares hashes in constant time.

Roles and what each may do:

============  =================================================================================
role          permissions
============  =================================================================================
viewer        read chains, firms, outcomes, parks (and their matches), rankings (weak links,
              recommendations, target lists), maps and models, as JSON; no CSV/XLSX export;
              projects without their contacts, as JSON or XLSX
officer       what a viewer may, plus record outcomes, correct firms' chain nodes and export
              rankings as CSV or XLSX
              (pipeline) run projects: create, change, move, import; see their
              contacts; read chain leaders' needs; take weak-link snapshots
park_manager  read chains, firms and maps; read, match and edit its own parks only; read
              and record the outcomes of the firms matched to its parks only
leader        a chain leader's liaison (链主): read chains and parks; read and enter its own
              firm's needs (链主配套需求) only
admin         everything: also create and delete parks, train models, activate a model,
              read training jobs, keys
============  =================================================================================

A key may name the person it is for and their organisation unit: pages and records (who
recorded an outcome, who owns a project) show that person; a key without one (made before keys
had names) shows its label, else its prefix.

A park manager's key names its parks; any other park is invisible to it (the service answers
404, as for a park that does not exist). A leader's key names its firm likewise: any other
firm's needs are invisible to it.

>>> from recommender.store import open_store
>>> store = open_store("sqlite://")
>>> key, principal = create_key(store, OFFICER, label="ops", name="张三", unit="招商一科")
>>> authenticate(store, key).role, authenticate(store, key).name
('officer', '张三')
>>> authenticate(store, key).can(RECORD_OUTCOMES), authenticate(store, key).can(MANAGE_KEYS)
(True, False)
>>> authenticate(store, "cs" + "x" * 41) is None
True
>>> store.close()
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from recommender.exceptions import DataError, NotFoundError
from recommender.store import keys as store_keys
from recommender.store import models as M

__all__ = [
    "ACTIVATE_MODELS",
    "ADMIN",
    "CORRECT_NODES",
    "DEMO_LABEL",
    "DEMO_PEOPLE",
    "EDIT_LEADER_NEEDS",
    "EDIT_PARKS",
    "EDIT_PROJECTS",
    "EXPORT",
    "FIRM_SCOPED_ROLES",
    "KEY_LENGTH",
    "KEY_MARK",
    "LEADER",
    "MANAGE_KEYS",
    "MANAGE_PARKS",
    "MAX_PRESENTED_LENGTH",
    "OFFICER",
    "PARK_EXPORT",
    "PARK_MANAGER",
    "PARK_OUTCOMES",
    "PARK_SCOPED_ROLES",
    "PERMISSIONS",
    "PREFIX_LENGTH",
    "Principal",
    "READ_CHAINS",
    "READ_FIRMS",
    "READ_CONTACTS",
    "READ_JOBS",
    "READ_LEADER_NEEDS",
    "READ_MAPS",
    "READ_MODELS",
    "READ_OUTCOMES",
    "READ_PARKS",
    "READ_PROJECTS",
    "READ_RANKINGS",
    "RECORD_OUTCOMES",
    "ROLES",
    "SNAPSHOT_HEALTH",
    "TRAIN_MODELS",
    "VIEWER",
    "authenticate",
    "authenticate_digest",
    "create_key",
    "ensure_demo_key",
    "ensure_demo_keys",
    "generate_key",
    "hash_key",
    "list_keys",
    "name_key",
    "revoke_key",
    "roles_with",
]

# --- roles and permissions ------------------------------------------------------------------
ADMIN = "admin"
OFFICER = "officer"
PARK_MANAGER = "park_manager"
VIEWER = "viewer"
LEADER = "leader"  # a chain leader's liaison, scoped to its own firm
ROLES = (ADMIN, OFFICER, PARK_MANAGER, VIEWER, LEADER)

READ_CHAINS = "chains:read"
READ_FIRMS = "firms:read"
READ_OUTCOMES = "outcomes:read"
RECORD_OUTCOMES = "outcomes:write"
CORRECT_NODES = "firms:nodes:write"  # confirm, reject or add a firm's chain node
READ_PARKS = "parks:read"
EDIT_PARKS = "parks:write"  # change a park's profile (a park manager: its own parks only)
MANAGE_PARKS = "parks:manage"  # create and delete parks
PARK_OUTCOMES = "outcomes:parks"  # read and record outcomes of firms matched to one's parks
PARK_EXPORT = "export:parks"  # one's own parks' matches as CSV or XLSX files
READ_MAPS = "maps:read"  # the recruitment map, as GeoJSON or PNG
READ_RANKINGS = "rankings:read"  # weak links, recommendations, target lists
EXPORT = "export"  # rankings as CSV or XLSX files
READ_MODELS = "models:read"
TRAIN_MODELS = "models:train"  # start a training job
ACTIVATE_MODELS = "models:activate"  # make a saved model the serving one, better or not
READ_JOBS = "jobs:read"  # the status and result of training jobs
MANAGE_KEYS = "keys:manage"
READ_PROJECTS = "projects:read"  # the pipeline, its figures and its exports, without contacts
EDIT_PROJECTS = "projects:write"  # create, change, move, delete and import projects
READ_CONTACTS = "projects:contacts"  # projects' contacts: personal data
READ_LEADER_NEEDS = "leader_needs:read"  # chain leaders' needs (a leader: its own firm's)
EDIT_LEADER_NEEDS = "leader_needs:write"  # enter needs (a leader: its own firm's)
SNAPSHOT_HEALTH = "health:snapshot"  # store today's weak-link diagnosis
_PIPELINE_READ = frozenset({READ_PROJECTS})
_RUN_PIPELINE = frozenset({EDIT_PROJECTS, READ_CONTACTS, READ_LEADER_NEEDS, SNAPSHOT_HEALTH})

_READ = frozenset(
    {READ_CHAINS, READ_FIRMS, READ_OUTCOMES, READ_PARKS, READ_RANKINGS, READ_MAPS, READ_MODELS}
)
_ALL = _READ | {RECORD_OUTCOMES, PARK_OUTCOMES, PARK_EXPORT, CORRECT_NODES, EDIT_PARKS,
                MANAGE_PARKS, EXPORT, TRAIN_MODELS, ACTIVATE_MODELS, READ_JOBS, MANAGE_KEYS}

_READ = _READ | _PIPELINE_READ
_ALL = _ALL | _PIPELINE_READ | _RUN_PIPELINE | {EDIT_LEADER_NEEDS}

PERMISSIONS: Mapping[str, frozenset[str]] = {
    VIEWER: _READ,
    OFFICER: _READ | _RUN_PIPELINE | {RECORD_OUTCOMES, CORRECT_NODES, EXPORT},
    # A chain is reference data every portrait names nodes of, so park managers read it too.
    PARK_MANAGER: frozenset({READ_CHAINS, READ_FIRMS, READ_PARKS, EDIT_PARKS, READ_MAPS,
                             PARK_OUTCOMES, PARK_EXPORT}),
    LEADER: frozenset({READ_CHAINS, READ_PARKS, READ_LEADER_NEEDS, EDIT_LEADER_NEEDS}),
    ADMIN: _ALL,
}
PARK_SCOPED_ROLES = frozenset({PARK_MANAGER})
FIRM_SCOPED_ROLES = frozenset({LEADER})

# --- keys -----------------------------------------------------------------------------------
KEY_MARK = "cs"  # every key starts so, which makes a leaked one easy to recognise
KEY_LENGTH = 43  # "cs" + 41 characters of 62: about 244 bits
PREFIX_LENGTH = 8
MAX_PRESENTED_LENGTH = 256  # longer strings are not keys; refuse before hashing
_ALPHABET = string.ascii_letters + string.digits
DEMO_LABEL = "demo {role}"
# The demo's people: invented names and units of an imaginary 招商局, labelled "demo <role>".
DEMO_PEOPLE: Mapping[str, tuple[str, str]] = {
    ADMIN: ("演示管理员", "招商局"),
    OFFICER: ("张三", "招商一科"),
    VIEWER: ("王五", "产业研究室"),
}
_KEY_CHARACTERS = frozenset(_ALPHABET)
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class Principal:
    """Who a verified key speaks for: its person and unit, its role and, for a park manager,
    its parks."""

    id: int
    prefix: str
    role: str
    park_ids: tuple[str, ...] = ()
    label: str | None = None
    created_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    firm_id: str | None = None
    display_name: str | None = None  # the person the key is for (None on keys made before)
    unit: str | None = None  # their organisation unit

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def permissions(self) -> frozenset[str]:
        return PERMISSIONS.get(self.role, frozenset())

    def can(self, permission: str) -> bool:
        """Return whether the role grants ``permission`` (a ``READ_*``, ``EDIT_*`` … constant)."""
        return permission in self.permissions

    @property
    def park_scope(self) -> tuple[str, ...] | None:
        """The parks this key may see, or None when it may see every park."""
        return self.park_ids if self.role in PARK_SCOPED_ROLES else None

    def sees_park(self, park_id: str) -> bool:
        """Return whether a park is visible to this key (always, unless the role is scoped)."""
        scope = self.park_scope
        return scope is None or park_id in scope

    def sees_firm(self, firm_id: str) -> bool:
        """Return whether a firm's own data (a leader's needs) is visible to this key."""
        return self.role not in FIRM_SCOPED_ROLES or firm_id == self.firm_id

    @property
    def name(self) -> str:
        """Who the key speaks for on pages, in histories and as a project's owner: its
        person's name, else its label, else its prefix."""
        return self.display_name or self.label or self.prefix

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "prefix": self.prefix, "role": self.role,
            "park_ids": list(self.park_ids), "label": self.label,
            "created_at": self.created_at, "revoked_at": self.revoked_at,
            M.KEY_FIRM_ID: self.firm_id, M.KEY_NAME: self.display_name,
            M.KEY_UNIT: self.unit,
        }


def roles_with(permission: str) -> list[str]:
    """Return the roles that grant ``permission``, in :data:`ROLES` order.

    >>> roles_with(RECORD_OUTCOMES)
    ['admin', 'officer']
    """
    return [role for role in ROLES if permission in PERMISSIONS[role]]


def generate_key() -> str:
    """Return a new random key (``cs`` and 41 letters or digits)."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(KEY_LENGTH - len(KEY_MARK)))
    return KEY_MARK + body


def hash_key(key: str) -> str:
    """Return the SHA-256 of ``key``, hex (a fast hash suits a high-entropy random key)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(
    store, role: str, *, park_ids: Iterable[str] = (), label: str | None = None,
    firm_id: str | None = None, name: str | None = None, unit: str | None = None,
) -> tuple[str, Principal]:
    """Create a key with ``role`` and return it (the only time it is seen) and its principal.

    Parameters
    ----------
    store : Store
    role : str
        One of :data:`ROLES`.
    park_ids : iterable of str
        The parks of a ``park_manager`` key (at least one, each in the store); other roles
        take none.
    label : str, optional
        Who or what the key is for, shown by :func:`list_keys`.
    firm_id : str, optional
        The firm of a ``leader`` key (required, in the store); other roles take none.
    name, unit : str, optional
        The person the key is for (张三) and their organisation unit (招商一科), as pages and
        records show them.

    Raises
    ------
    DataError
        An unknown role, a park manager without parks, parks given for another role, a
        leader without a firm or a firm given for another role.
    NotFoundError
        A park or firm that is not in the store.
    """
    parks = _checked_parks(store, role, park_ids)
    firm = _checked_firm(store, role, firm_id)
    key = generate_key()
    row = store_keys.add_key(
        store, prefix=key[:PREFIX_LENGTH], key_hash=hash_key(key), role=role, park_ids=parks,
        label=label, firm_id=firm, name=_text(name), unit=_text(unit),
    )
    return key, _principal(row)


def authenticate(store, presented: str | None) -> Principal | None:
    """Return the principal of an active key, or None for a missing, wrong or revoked one."""
    if not presented or len(presented) > MAX_PRESENTED_LENGTH or not _looks_like_key(presented):
        return None
    digest = hash_key(presented)
    for row in store_keys.keys_with_prefix(store, presented[:PREFIX_LENGTH]):
        if hmac.compare_digest(row[M.KEY_HASH], digest) and row[M.KEY_REVOKED_AT] is None:
            return _principal(row)
    return None


def authenticate_digest(store, digest: str | None) -> Principal | None:
    """Return the principal of the active key whose SHA-256 hex digest is ``digest`` (what a
    login session keeps instead of the key itself), or None."""
    if not digest or len(digest) != 64 or not set(digest) <= _HEX:
        return None
    for row in store_keys.keys_with_hash(store, digest):
        if hmac.compare_digest(row[M.KEY_HASH], digest) and row[M.KEY_REVOKED_AT] is None:
            return _principal(row)
    return None


def revoke_key(store, prefix_or_id: str | int) -> Principal:
    """Revoke a key named by its id, its prefix or the whole key; return its principal.

    Raises
    ------
    NotFoundError
        No key matches.
    DataError
        A prefix matches several keys (name it by id instead).
    """
    return _principal(store_keys.revoke_key(store, _key_row(store, prefix_or_id)[M.ID]))


def name_key(store, prefix_or_id: str | int, *, name: str | None,
             unit: str | None = None) -> Principal:
    """Name the person a key is for and their unit (a key made before keys had names, or one
    handed to someone else); return its principal. Blank clears. Errors as :func:`revoke_key`.

    Pages read a principal from a per-process cache: a running service shows the new name once
    that cache forgets the key (as it does a revocation).
    """
    row = _key_row(store, prefix_or_id)
    return _principal(store_keys.name_key(store, row[M.ID], name=_text(name), unit=_text(unit)))


def _key_row(store, prefix_or_id: str | int) -> Mapping[str, Any]:
    """The row of the key named by its id, its prefix or the whole key."""
    text = str(prefix_or_id).strip()
    if text.isdigit():
        row = store_keys.key_by_id(store, int(text))
    elif len(text) > PREFIX_LENGTH:
        found = store_keys.keys_with_hash(store, hash_key(text))
        if not found:
            raise NotFoundError("no API key matches the key given")
        row = found[0]
    else:
        found = store_keys.keys_with_prefix(store, text)
        if not found:
            raise NotFoundError(f"no API key with prefix {text!r}")
        if len(found) > 1:
            ids = ", ".join(str(r[M.ID]) for r in found)
            raise DataError(f"prefix {text!r} names several keys (ids {ids}); give the id")
        row = found[0]
    return row


def list_keys(store, *, include_revoked: bool = True) -> list[Principal]:
    """Return every key's principal (never the key), oldest first."""
    return [_principal(r) for r in store_keys.keys(store, include_revoked=include_revoked)]


def ensure_demo_key(store, *, role: str = OFFICER) -> str | None:
    """Create the demo's key of ``role`` unless an active one exists; return it only if new.

    The key is labelled ``"demo <role>"`` and speaks for the role's :data:`DEMO_PEOPLE`; the
    store keeps its hash only, so a caller that wants to show the key must do so when this
    returns it.
    """
    label = DEMO_LABEL.format(role=role)
    existing = store_keys.keys_with_label(store, label, role=role)
    if any(row[M.KEY_REVOKED_AT] is None for row in existing):
        return None
    name, unit = DEMO_PEOPLE.get(role, (None, None))
    key, _ = create_key(store, role, label=label, name=name, unit=unit)
    return key


def ensure_demo_keys(store, roles: Sequence[str] = (OFFICER, ADMIN)) -> dict[str, str]:
    """Make sure the demo has a key of each role; return ``{role: key}`` for the new ones."""
    created = {role: ensure_demo_key(store, role=role) for role in roles}
    return {role: key for role, key in created.items() if key is not None}


def _text(value: str | None) -> str | None:
    """A name or unit as stored: stripped, and None when blank."""
    return (value.strip() or None) if isinstance(value, str) else None


def _looks_like_key(text: str) -> bool:
    """Return whether ``text`` is made of a key's letters (a NUL or a quote never reaches the
    store)."""
    return set(text) <= _KEY_CHARACTERS


def _checked_parks(store, role: str, park_ids: Iterable[str]) -> list[str]:
    if role not in ROLES:
        raise DataError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    parks = list(dict.fromkeys(p.strip() for p in park_ids if p and p.strip()))
    if role in PARK_SCOPED_ROLES and not parks:
        raise DataError(f"a {role} key needs at least one park")
    if role not in PARK_SCOPED_ROLES and parks:
        raise DataError(f"a {role} key sees every park; give parks to a park_manager key only")
    for park_id in parks:
        store.park(park_id)  # NotFoundError names the park
    return parks


def _checked_firm(store, role: str, firm_id: str | None) -> str | None:
    firm = firm_id.strip() if isinstance(firm_id, str) and firm_id.strip() else None
    if role in FIRM_SCOPED_ROLES and firm is None:
        raise DataError(f"a {role} key needs its firm")
    if role not in FIRM_SCOPED_ROLES and firm is not None:
        raise DataError(f"a {role} key speaks for no firm; give a firm to a leader key only")
    if firm is not None:
        store.firm(firm)  # NotFoundError names the firm
    return firm


def _principal(row: Mapping[str, Any]) -> Principal:
    return Principal(
        id=int(row[M.ID]),
        prefix=row[M.KEY_PREFIX],
        role=row[M.KEY_ROLE],
        park_ids=tuple(row[M.KEY_PARK_IDS] or ()),
        label=row[M.KEY_LABEL],
        created_at=row[M.CREATED_AT],
        revoked_at=row[M.KEY_REVOKED_AT],
        firm_id=row.get(M.KEY_FIRM_ID),
        display_name=row.get(M.KEY_NAME),
        unit=row.get(M.KEY_UNIT),
    )
