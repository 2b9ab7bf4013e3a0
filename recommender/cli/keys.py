"""Commands for the web service's API keys: create, name, list, revoke."""

from __future__ import annotations

import click

from recommender.cli.common import echo_json, store_of

__all__ = ["COMMANDS", "ROLE_CHOICES", "keys", "keys_create", "keys_list", "keys_name",
           "keys_revoke"]

# recommender.store.auth.ROLES
ROLE_CHOICES = ("admin", "officer", "park_manager", "viewer", "leader")


@click.group()
def keys() -> None:
    """Create, name, list and revoke API keys of the web service."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(ROLE_CHOICES),
              help="What the key may do.")
@click.option("--park", "parks", multiple=True,
              help="A park a park_manager key may see (repeat for several).")
@click.option("--label", default=None, help="What the key is for (a note for admins).")
@click.option("--name", default=None,
              help="The person the key is for, as pages and records show them (张三).")
@click.option("--unit", default=None, help="Their organisation unit (招商一科).")
@click.option("--firm", "firm_id", default=None, help="The firm a leader key speaks for.")
@click.pass_context
def keys_create(ctx: click.Context, role: str, parks: tuple[str, ...], label: str | None,
                name: str | None, unit: str | None, firm_id: str | None) -> None:
    """Create a key and print it; it is shown this once and stored only as a hash."""
    from recommender.store.auth import create_key

    key, principal = create_key(store_of(ctx), role, park_ids=parks, label=label,
                                firm_id=firm_id, name=name, unit=unit)
    click.echo(key)
    scope = f", parks {', '.join(principal.park_ids)}" if principal.park_ids else ""
    click.echo(
        f"key {principal.id} ({principal.prefix}…, {principal.role}{scope}) created for "
        f"{_person(principal)}; "
        "it is not shown again",
        err=True,
    )


@keys.command("name")
@click.argument("prefix_or_id")
@click.option("--name", required=True, help="The person the key is for (blank clears).")
@click.option("--unit", default=None, help="Their organisation unit.")
@click.pass_context
def keys_name(ctx: click.Context, prefix_or_id: str, name: str, unit: str | None) -> None:
    """Name the person a key (by id, prefix or whole key) is for, and their unit."""
    from recommender.store.auth import name_key

    principal = name_key(store_of(ctx), prefix_or_id, name=name, unit=unit)
    click.echo(f"key {principal.id} ({principal.prefix}…, {principal.role}) is for "
               f"{_person(principal)}")


@keys.command("revoke")
@click.argument("prefix_or_id")
@click.pass_context
def keys_revoke(ctx: click.Context, prefix_or_id: str) -> None:
    """Revoke the key with this id, prefix or whole key."""
    from recommender.store.auth import revoke_key

    principal = revoke_key(store_of(ctx), prefix_or_id)
    click.echo(f"revoked key {principal.id} ({principal.prefix}…, {principal.role}) "
               f"at {principal.revoked_at:%Y-%m-%d %H:%M:%S} UTC")


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the keys as JSON.")
@click.option("--active", is_flag=True, help="Leave out revoked keys.")
@click.pass_context
def keys_list(ctx: click.Context, as_json: bool, active: bool) -> None:
    """List keys: id, prefix, role, person and unit, parks, label, created and revoked dates
    (never the key)."""
    from recommender.store.auth import list_keys

    found = list_keys(store_of(ctx), include_revoked=not active)
    if as_json:
        echo_json([p.as_dict() for p in found])
        return
    if not found:
        click.echo("no keys")
        return
    for p in found:
        state = f"revoked {p.revoked_at:%Y-%m-%d}" if p.revoked_at else "active"
        parks = ",".join(p.park_ids) or "-"
        click.echo(f"{p.id:>4}  {p.prefix}…  {p.role:<12}  {_person(p)}  {state:<18}  "
                   f"created {p.created_at:%Y-%m-%d}  parks {parks}  {p.label or ''}".rstrip())


def _person(principal) -> str:
    """The key's person and unit ("张三 (招商一科)"), or "-" for a key without a name."""
    if not principal.display_name:
        return "-"
    unit = f" ({principal.unit})" if principal.unit else ""
    return f"{principal.display_name}{unit}"


COMMANDS = [keys]
