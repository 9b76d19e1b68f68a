"""Run profiles, devices and seeds: the first thing every notebook calls.

Two profiles exist:

``quick``
    Small sizes that run on a 2-core laptop CPU (and in CI) in well under two minutes per
    notebook. Numbers from a quick run show that the code works; they are not the book's
    results.
``full``
    The real sizes, meant for a GPU (Colab or a workstation).

The profile is chosen from the hardware (``full`` when CUDA is available, ``quick``
otherwise) and can be forced with the environment variable ``TUTORIAL_PROFILE``.
"""

from __future__ import annotations

import dataclasses
import os
import random

import numpy as np

from tutorial_lib.validation import check_int
PROFILE_ENV_VAR = "TUTORIAL_PROFILE"
SEED_ENV_VAR = "TUTORIAL_SEED"
DEFAULT_SEED = 2024


@dataclasses.dataclass(frozen=True)
class Profile:
    """Which set of sizes a notebook uses: ``"quick"`` or ``"full"``.

    The sizes themselves live with the models and data they size, in config dataclasses built
    on :class:`tutorial_lib.config.ProfileConfig` (for example
    ``LogisticConfig.for_profile(context.profile)``): the epochs of BERT and of logistic
    regression cannot be the same number. A notebook prints the configs it ran.

    Attributes
    ----------
    name:
        ``"quick"`` (small sizes for a 2-core CPU) or ``"full"`` (the real sizes, for a GPU).
    """

    name: str


PROFILES: dict[str, Profile] = {"quick": Profile(name="quick"), "full": Profile(name="full")}


def cuda_available() -> bool:
    """Return True when PyTorch is installed and sees a CUDA GPU."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def get_device() -> str:
    """Return ``"cuda"`` when a GPU is usable, otherwise ``"cpu"``."""
    return "cuda" if cuda_available() else "cpu"


def choose_profile(name: str | None = None) -> tuple[Profile, str]:
    """Return the run profile and why it was chosen (for the notebook's first output).

    Parameters
    ----------
    name:
        ``"quick"`` or ``"full"``. When ``None``, the environment variable
        ``TUTORIAL_PROFILE`` decides; when that is unset too, ``"full"`` is used on a CUDA
        machine and ``"quick"`` everywhere else.

    Returns
    -------
    (Profile, str)
        The profile, and a reason such as ``"forced by TUTORIAL_PROFILE"``.

    Raises
    ------
    ValueError
        If the name (or the environment variable) is not a known profile.
    """
    source, reason = "argument", "chosen by the caller"
    if name is None:
        name = os.environ.get(PROFILE_ENV_VAR, "").strip().lower() or None
        source = f"environment variable {PROFILE_ENV_VAR}"
        reason = f"forced by {PROFILE_ENV_VAR}"
    if name is None:
        if cuda_available():
            return PROFILES["full"], "chosen automatically: a CUDA GPU was found"
        return PROFILES["quick"], "chosen automatically: no CUDA GPU"
    if name not in PROFILES:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"Unknown run profile {name!r} (from the {source}); expected one of: {known}.")
    return PROFILES[name], reason


def get_profile(name: str | None = None) -> Profile:
    """Return the run profile (see :func:`choose_profile` for how it is chosen)."""
    return choose_profile(name)[0]


def get_seed() -> int:
    """Return the seed from ``TUTORIAL_SEED`` or the book's default seed."""
    raw = os.environ.get(SEED_ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_SEED
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{SEED_ENV_VAR} must be an integer, got {raw!r}.") from None


def set_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and PyTorch (CPU and CUDA).

    Also asks PyTorch for deterministic algorithms where it has them (``warn_only`` so that
    an operation without a deterministic version still runs on a GPU). On a CPU the same
    seed gives the same numbers on every run.
    """
    seed = check_int(seed, "seed")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
        # cuBLAS is only deterministic with a fixed workspace; without this setting PyTorch
        # warns on the first matrix product. It must be set before cuBLAS starts.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)


@dataclasses.dataclass(frozen=True)
class RunContext:
    """What ``start_notebook`` decided: the profile, the device, the seed, and why."""

    profile: Profile
    device: str
    seed: int
    profile_reason: str = "chosen by the caller"

    def describe(self) -> str:
        """The lines at the top of a notebook's output (each short enough for the book)."""
        device_name = self.device
        if self.device == "cuda":
            import torch

            device_name = f"cuda ({torch.cuda.get_device_name(0)})"
        lines = [
            f"Run profile: {self.profile.name} ({self.profile_reason})",
            f"Device: {device_name}; seed: {self.seed}",
        ]
        if self.profile.name == "quick":
            lines.append("Quick sizes for a CPU: these numbers check the code;")
            lines.append("they are not the book's results.")
        elif self.device != "cuda":
            lines.append("Full sizes on a CPU: expect this notebook to be slow")
            lines.append("(minutes to hours); a GPU runtime is much faster.")
        return "\n".join(lines)


def start_notebook(profile: str | None = None, seed: int | None = None, verbose: bool = True) -> RunContext:
    """Pick the profile and device, seed every generator, and print what was chosen.

    Call it once at the top of a notebook; its output tells a reader whether the numbers
    below come from a quick CPU run or from the full profile, and whether the profile was
    forced with ``TUTORIAL_PROFILE``.
    """
    chosen, reason = choose_profile(profile)
    context = RunContext(
        profile=chosen,
        device=get_device(),
        seed=get_seed() if seed is None else seed,
        profile_reason=reason,
    )
    set_seed(context.seed)
    from tutorial_lib.book.plotting import use_book_figure_style  # imports matplotlib: only here

    use_book_figure_style()
    if verbose:
        print(context.describe())
    return context
