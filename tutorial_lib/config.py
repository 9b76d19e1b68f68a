"""Per-model sizes: each model owns a small config dataclass with its quick and full values.

The run profile (:mod:`tutorial_lib.book.runtime`) only says *which* set of values applies;
the values themselves live with the model they size, as nanoGPT's ``GPTConfig`` does::

    @dataclasses.dataclass(frozen=True)
    class LogisticConfig(ProfileConfig):
        max_ratings: int | None = None       # field defaults are the full values
        C_grid_points: int = 13

        QUICK: ClassVar[dict] = {"max_ratings": 30_000, "C_grid_points": 5}
        QUICK_COST_LIMIT: ClassVar[int] = 30_000 * 5

        def cost(self) -> int:               # work units, to keep the quick run in budget
            return (self.max_ratings or 100_000) * self.C_grid_points

    config = LogisticConfig.for_profile(context.profile)
    print(config.describe())

``cost`` is a rough count of work (examples × passes, say), not seconds: a test checks that
every config's quick values stay within its ``QUICK_COST_LIMIT``, so a chapter cannot quietly
grow past its time budget on a 2-core CPU without someone raising the limit on purpose.
"""

from __future__ import annotations

import dataclasses
import textwrap
from typing import Any, ClassVar

PROFILE_NAMES = ("quick", "full")


def profile_name(profile: Any) -> str:
    """Return ``"quick"`` or ``"full"`` for a profile object (anything with ``.name``) or a name."""
    name = getattr(profile, "name", profile)
    if name not in PROFILE_NAMES:
        raise ValueError(f"profile must be one of {PROFILE_NAMES} or a Profile, got {profile!r}.")
    return name


@dataclasses.dataclass(frozen=True)
class ProfileConfig:
    """Base class of every model config.

    A subclass is a frozen dataclass whose field defaults are the **full** values; its class
    attribute ``QUICK`` maps field names to the **quick** values that differ.
    """

    QUICK: ClassVar[dict[str, Any]] = {}
    QUICK_COST_LIMIT: ClassVar[int | None] = None

    @classmethod
    def for_profile(cls, profile: Any) -> ProfileConfig:
        """The config for ``profile`` (a ``Profile``, or ``"quick"`` / ``"full"``)."""
        name = profile_name(profile)
        unknown = set(cls.QUICK) - {field.name for field in dataclasses.fields(cls)}
        if unknown:
            raise TypeError(f"{cls.__name__}.QUICK names fields it does not have: {sorted(unknown)}.")
        return cls(**cls.QUICK) if name == "quick" else cls()

    def cost(self) -> int:
        """Rough work units of one run with these values (override in each subclass)."""
        raise NotImplementedError(f"{type(self).__name__} must define cost().")

    def as_dict(self) -> dict[str, Any]:
        """The field values, for a results record."""
        return dataclasses.asdict(self)

    def describe(self) -> str:
        """What a notebook prints, e.g. ``LogisticConfig: max_ratings=30000, C_grid_points=5``.

        Wrapped at 78 characters so that it fits the book's text column.
        """
        values = ", ".join(f"{key}={value!r}" for key, value in self.as_dict().items())
        return textwrap.fill(f"{type(self).__name__}: {values}", width=78, subsequent_indent="    ")
