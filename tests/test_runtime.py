import dataclasses

import numpy as np
import pytest
import torch

from tutorial_lib.book import runtime


def test_environment_variable_selects_the_profile(monkeypatch):
    monkeypatch.setenv(runtime.PROFILE_ENV_VAR, "full")
    assert runtime.get_profile().name == "full"
    monkeypatch.setenv(runtime.PROFILE_ENV_VAR, " Quick ")
    assert runtime.get_profile().name == "quick"


def test_hardware_decides_without_the_variable(monkeypatch):
    monkeypatch.delenv(runtime.PROFILE_ENV_VAR, raising=False)
    monkeypatch.setattr(runtime, "cuda_available", lambda: True)
    assert runtime.get_profile().name == "full"
    monkeypatch.setattr(runtime, "cuda_available", lambda: False)
    assert runtime.get_profile().name == "quick"


def test_unknown_profile_names_the_source(monkeypatch):
    monkeypatch.setenv(runtime.PROFILE_ENV_VAR, "medium")
    with pytest.raises(ValueError, match="TUTORIAL_PROFILE.*quick"):
        runtime.get_profile()
    with pytest.raises(ValueError, match="'huge'"):
        runtime.get_profile("huge")


def test_a_profile_only_names_which_sizes_apply():
    # Sizes live in each model's config (tutorial_lib.config); the profile holds none.
    assert {name: dataclasses.asdict(p) for name, p in runtime.PROFILES.items()} == {
        "quick": {"name": "quick"},
        "full": {"name": "full"},
    }


def test_set_seed_makes_numpy_and_torch_repeat():
    runtime.set_seed(7)
    first = (np.random.rand(3), torch.rand(3))
    runtime.set_seed(7)
    second = (np.random.rand(3), torch.rand(3))
    np.testing.assert_array_equal(first[0], second[0])
    assert torch.equal(first[1], second[1])
    runtime.set_seed(8)
    assert not np.array_equal(first[0], np.random.rand(3))


def test_set_seed_rejects_non_integers():
    with pytest.raises(TypeError, match="seed must be an int"):
        runtime.set_seed("7")


def test_bad_seed_variable(monkeypatch):
    monkeypatch.setenv(runtime.SEED_ENV_VAR, "abc")
    with pytest.raises(ValueError, match="TUTORIAL_SEED must be an integer"):
        runtime.get_seed()


def test_start_notebook_prints_profile_and_device(monkeypatch, capsys):
    monkeypatch.setenv(runtime.PROFILE_ENV_VAR, "quick")
    monkeypatch.setenv(runtime.SEED_ENV_VAR, "11")
    context = runtime.start_notebook()
    line = capsys.readouterr().out.strip()
    assert line.startswith("Run profile: quick")
    assert f"Device: {context.device}" in line and "seed: 11" in line
    assert "not the book's results" in line


def test_first_output_says_when_the_profile_was_forced(monkeypatch, capsys):
    monkeypatch.setenv("TUTORIAL_PROFILE", "full")
    monkeypatch.setattr(runtime, "cuda_available", lambda: False)
    runtime.start_notebook()
    output = capsys.readouterr().out
    assert output.startswith("Run profile: full (forced by TUTORIAL_PROFILE)")
    assert "Full sizes on a CPU" in output and "slow" in output
    assert max(len(line) for line in output.splitlines()) <= 80


def test_first_output_says_why_the_profile_was_chosen(monkeypatch, capsys):
    monkeypatch.delenv("TUTORIAL_PROFILE", raising=False)
    monkeypatch.setattr(runtime, "cuda_available", lambda: False)
    runtime.start_notebook()
    assert capsys.readouterr().out.startswith("Run profile: quick (chosen automatically: no CUDA GPU)")
