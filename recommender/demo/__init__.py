"""The embedded demo world: its region, reference firms and synthetic generator."""

__all__: list[str] = []
