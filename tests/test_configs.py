"""Every model config keeps its notebook's quick run within budget, by size, not by timing.

The test finds every subclass of ``ProfileConfig`` in ``tutorial_lib`` (importing each
module) and checks it with :func:`config_problems`. With no model configs yet it passes;
the toy configs below show that the checks catch what they are meant to catch.
"""

import dataclasses
import importlib
import json
import pkgutil
from typing import ClassVar

import pytest

import tutorial_lib
from tutorial_lib.book import runtime
from tutorial_lib.config import ProfileConfig


def package_config_classes() -> list[type[ProfileConfig]]:
    """Every subclass of ProfileConfig defined in tutorial_lib (all modules imported)."""
    for module in pkgutil.walk_packages(tutorial_lib.__path__, prefix="tutorial_lib."):
        importlib.import_module(module.name)
    found, pending = [], list(ProfileConfig.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("tutorial_lib."):
            found.append(cls)
    return sorted(set(found), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def config_problems(cls: type[ProfileConfig]) -> list[str]:
    """What is wrong with a config class (empty when nothing is)."""
    name = f"{cls.__module__}.{cls.__qualname__}"
    if "__dataclass_fields__" not in vars(cls):
        return [f"{name} must be decorated with @dataclasses.dataclass(frozen=True)"]
    field_names = {field.name for field in dataclasses.fields(cls)}
    unknown = sorted(set(cls.QUICK) - field_names)
    if unknown:
        return [f"{name}.QUICK names fields it does not have: {unknown}"]
    problems = []
    limit = cls.QUICK_COST_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit <= 0:
        problems.append(f"{name}.QUICK_COST_LIMIT must be set to a positive number, got {limit!r}")
    try:
        quick, full = cls.for_profile("quick"), cls.for_profile("full")
        quick_cost, full_cost = quick.cost(), full.cost()
    except NotImplementedError:
        return problems + [f"{name} must implement cost()"]
    for profile, cost in (("quick", quick_cost), ("full", full_cost)):
        if isinstance(cost, bool) or not isinstance(cost, (int, float)) or not cost > 0:
            problems.append(f"{name}: the {profile} cost() must be a positive number, got {cost!r}")
    if problems:
        return problems
    if quick_cost > limit:
        problems.append(f"{name}: quick cost {quick_cost} is above QUICK_COST_LIMIT {limit}")
    if quick_cost > full_cost:
        problems.append(f"{name}: quick cost {quick_cost} is above the full cost {full_cost}")
    for profile, config in (("quick", quick), ("full", full)):
        long_lines = [line for line in config.describe().splitlines() if len(line) > 80]
        if long_lines:
            problems.append(f"{name}: describe() ({profile}) has lines over 80 characters: {long_lines}")
        try:
            json.dumps(config.as_dict(), allow_nan=False)
        except (TypeError, ValueError) as error:
            problems.append(f"{name}: the {profile} values cannot go into a results record: {error}")
    return problems


def test_every_config_in_the_package_is_within_budget():
    classes = package_config_classes()
    problems = [problem for cls in classes for problem in config_problems(cls)]
    assert not problems, "\n".join(problems)


# --- Toy configs: one good, and one per mistake the checks must catch ---------------------
@dataclasses.dataclass(frozen=True)
class ToyConfig(ProfileConfig):
    max_ratings: int | None = None
    epochs: int = 20
    hidden_size: int = 128

    QUICK: ClassVar[dict] = {"max_ratings": 30_000, "epochs": 3}
    QUICK_COST_LIMIT: ClassVar[int] = 30_000 * 3

    def cost(self) -> int:
        return (self.max_ratings or 100_000) * self.epochs


@dataclasses.dataclass(frozen=True)
class ToyWithUnknownQuickField(ToyConfig):
    QUICK: ClassVar[dict] = {"max_rating": 30_000}


@dataclasses.dataclass(frozen=True)
class ToyWithoutLimit(ToyConfig):
    QUICK_COST_LIMIT: ClassVar[int | None] = None


@dataclasses.dataclass(frozen=True)
class ToyOverBudget(ToyConfig):
    QUICK: ClassVar[dict] = {"max_ratings": 30_000, "epochs": 10}


@dataclasses.dataclass(frozen=True)
class ToyQuickAboveFull(ToyConfig):
    max_ratings: int | None = 10_000
    QUICK: ClassVar[dict] = {"max_ratings": 30_000, "epochs": 20}
    QUICK_COST_LIMIT: ClassVar[int] = 10**9


@dataclasses.dataclass(frozen=True)
class ToyWithoutCost(ProfileConfig):
    epochs: int = 20
    QUICK: ClassVar[dict] = {"epochs": 3}
    QUICK_COST_LIMIT: ClassVar[int] = 3


class ToyNotADataclass(ToyConfig):
    pass


@dataclasses.dataclass(frozen=True)
class ToyWithLongNames(ToyConfig):
    a_rather_long_field_name_for_the_learning_rate_schedule: str = "cosine with warm restarts"
    another_long_field_name_for_dropout_probabilities: tuple = (0.1, 0.2, 0.3, 0.4, 0.5)


def test_the_toy_config_passes():
    assert config_problems(ToyConfig) == []
    assert config_problems(ToyWithLongNames) == []  # describe() wraps long values


@pytest.mark.parametrize(
    "cls, problem",
    [
        (ToyWithUnknownQuickField, "QUICK names fields it does not have: ['max_rating']"),
        (ToyWithoutLimit, "QUICK_COST_LIMIT must be set"),
        (ToyOverBudget, "quick cost 300000 is above QUICK_COST_LIMIT 90000"),
        (ToyQuickAboveFull, "quick cost 600000 is above the full cost 200000"),
        (ToyWithoutCost, "must implement cost()"),
        (ToyNotADataclass, "must be decorated with @dataclasses.dataclass(frozen=True)"),
    ],
)
def test_the_checks_catch_a_broken_config(cls, problem):
    assert any(problem in found for found in config_problems(cls)), config_problems(cls)


def test_discovery_finds_package_classes_only():
    classes = package_config_classes()
    assert all(cls.__module__.startswith("tutorial_lib.") for cls in classes)
    assert ToyConfig not in classes


# --- ProfileConfig itself ------------------------------------------------------------------
def test_for_profile_takes_a_name_or_a_profile():
    assert ToyConfig.for_profile("quick") == ToyConfig(max_ratings=30_000, epochs=3)
    assert ToyConfig.for_profile("full") == ToyConfig()
    assert ToyConfig.for_profile(runtime.get_profile("quick")) == ToyConfig.for_profile("quick")
    assert ToyConfig.for_profile(runtime.get_profile("full")).hidden_size == 128


@pytest.mark.parametrize("bad", ["medium", "Quick", None, 3])
def test_bad_profile_name_is_an_error(bad):
    with pytest.raises(ValueError, match=r"profile must be one of \('quick', 'full'\)"):
        ToyConfig.for_profile(bad)


def test_unknown_quick_field_is_an_error():
    with pytest.raises(TypeError, match=r"ToyWithUnknownQuickField.QUICK names fields it does not have: \['max_rating'\]"):
        ToyWithUnknownQuickField.for_profile("quick")


def test_base_cost_is_not_implemented():
    with pytest.raises(NotImplementedError, match="ToyWithoutCost must define cost"):
        ToyWithoutCost().cost()


def test_describe_and_as_dict():
    config = ToyConfig.for_profile("quick")
    assert config.describe() == "ToyConfig: max_ratings=30000, epochs=3, hidden_size=128"
    assert config.as_dict() == {"max_ratings": 30_000, "epochs": 3, "hidden_size": 128}
    lines = ToyWithLongNames().describe().splitlines()
    assert len(lines) > 1 and all(len(line) <= 80 for line in lines)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.epochs = 5
