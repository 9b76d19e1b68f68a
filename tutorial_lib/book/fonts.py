"""A font that can draw Chinese in matplotlib figures: found on the machine, or installed.

Matplotlib's default font, DejaVu Sans, has no Chinese characters: a title such as
"评分分布" comes out as empty boxes, and matplotlib writes a "Glyph ... missing from font"
warning. The book's build treats that warning as an error, so a figure with boxes cannot be
published. :func:`use_chinese_font` finds a font with Chinese glyphs (or installs one with
apt-get on Colab and on Debian-like machines where it runs as root: set-up, kept out of the
plotting module) and puts it behind DejaVu Sans in matplotlib's fallback list: Latin letters
and digits keep DejaVu's look, Chinese characters come from the CJK font.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
from matplotlib import font_manager

# Families known to cover simplified Chinese, best first. Linux packages, then macOS and
# Windows system fonts, so that a laptop usually works with no install.
CJK_FONT_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "PingFang SC",
    "Heiti SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "SimHei",
    "Arial Unicode MS",
)

# Debian/Ubuntu package installed when no font is found (Colab runs Ubuntu). It is small
# (about 5 MB) and covers GB2312 and most of GBK.
DEBIAN_FONT_PACKAGE = "fonts-wqy-microhei"
DEBIAN_FONT_GLOBS = ("/usr/share/fonts/truetype/wqy/*.tt[cf]", "/usr/share/fonts/opentype/noto/*CJK*.tt[cf]")

# A phrase to test fonts with (invented for the book).
SAMPLE_CHINESE = "周末和朋友去看一场老电影"

INSTALL_HELP = (
    "No font with Chinese characters was found for matplotlib. Install one, then restart the kernel:\n"
    "  - Debian/Ubuntu/Colab: sudo apt-get install fonts-wqy-microhei (or fonts-noto-cjk)\n"
    "  - Fedora: sudo dnf install google-noto-sans-cjk-fonts\n"
    "  - macOS and Windows ship one already (PingFang SC, Microsoft YaHei, SimHei); if matplotlib\n"
    "    still misses it, delete matplotlib's font cache folder (matplotlib.get_cachedir()).\n"
    "  - Or pass the path of any .ttf/.otf/.ttc font with Chinese glyphs: use_chinese_font(font_path=...)."
)


def _installed_family_names() -> set[str]:
    return {entry.name for entry in font_manager.fontManager.ttflist}


def _register_font_files(patterns: tuple[str, ...]) -> None:
    """Tell matplotlib about font files installed after its font cache was built."""
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            font_manager.fontManager.addfont(path)


def _can_install_debian_package() -> bool:
    return shutil.which("apt-get") is not None and hasattr(os, "geteuid") and os.geteuid() == 0


def _install_debian_font() -> None:
    print(f"Installing {DEBIAN_FONT_PACKAGE} with apt-get for Chinese text in figures ...")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", DEBIAN_FONT_PACKAGE]):
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def find_chinese_font() -> str | None:
    """Return the first family of :data:`CJK_FONT_FAMILIES` matplotlib knows, else None."""
    _register_font_files(DEBIAN_FONT_GLOBS)
    installed = _installed_family_names()
    return next((family for family in CJK_FONT_FAMILIES if family in installed), None)


def use_chinese_font(font_path: str | Path | None = None, install: bool | None = None) -> str:
    """Make matplotlib draw Chinese characters, and return the font family used.

    Parameters
    ----------
    font_path:
        A font file to use instead of searching (``.ttf``, ``.otf`` or ``.ttc``).
    install:
        Whether to install :data:`DEBIAN_FONT_PACKAGE` with apt-get when no font is found.
        ``None`` (default) installs only where that is expected to work and to be wanted:
        on Colab, or when running as root on a machine with apt-get (CI containers).

    Raises
    ------
    FileNotFoundError
        If ``font_path`` does not exist.
    RuntimeError
        If no font can be found or installed; the message says how to install one.
    """
    if font_path is not None:
        font_path = Path(font_path)
        if not font_path.is_file():
            raise FileNotFoundError(f"font_path {str(font_path)!r} is not a file.")
        font_manager.fontManager.addfont(str(font_path))
        family = font_manager.FontProperties(fname=str(font_path)).get_name()
    else:
        family = find_chinese_font()
        if family is None:
            on_colab = "google.colab" in sys.modules
            if install is None:
                install = on_colab or _can_install_debian_package()
            if install:
                _install_debian_font()
                family = find_chinese_font()
        if family is None:
            raise RuntimeError(INSTALL_HELP)

    # DejaVu Sans first keeps Latin text and the minus sign unchanged; matplotlib falls back
    # to the CJK family glyph by glyph.
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", family]
    return family
