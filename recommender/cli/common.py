"""What every command shares: settings, the store, the chain, progress, JSON output."""

from __future__ import annotations

import json
import sys
import time

import click

__all__ = ["Progress", "chain_of", "echo_json", "settings_of", "store_of"]


def settings_of(ctx: click.Context):
    from recommender.config import load_settings

    return load_settings(ctx.obj or {})


def store_of(ctx: click.Context):
    from recommender.store import open_store

    return open_store(settings_of(ctx).database_url)


def chain_of(ctx: click.Context):
    from recommender.chain import load_chain

    return load_chain(settings_of(ctx).chain_path)


class Progress:
    """A tqdm bar per step, on stderr, so long imports show where they are."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = None
        self.step = None
        self.started = time.perf_counter()

    def __call__(self, step: str, done: int, total: int) -> None:
        if step != self.step:
            self.close()
            self.step = step
            if self.enabled:
                from tqdm import tqdm

                self.bar = tqdm(total=total or None, desc=step, unit="row", leave=False)
            else:
                click.echo(f"[{time.perf_counter() - self.started:6.1f}s] {step} …", err=True)
        if self.bar is not None:
            self.bar.n = done
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def echo_json(payload) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
