"""tutorial_lib: the code behind the book *Predicting user behaviour for recommender systems*.

Subpackages (each holds one kind of thing):

- ``data``: downloads, datasets, splits, Chinese text processing, features.
- ``models``: one module per model family, each from scratch beside its library twin.
- ``training``: the PyTorch training loops (feature matrices; fine-tuning, checkpoints, DDP).
- ``evaluation``: metrics, evaluation protocols and results records.
- ``book``: what only the notebooks need: run profiles, the Colab set-up cell, figures,
  the sources' errata.
- ``validation``: the input checks every public function uses.

PyTorch is imported only by ``models`` and ``training``, never by this package root.
"""

from tutorial_lib.book.runtime import RunContext, get_device, get_profile, set_seed, start_notebook

__version__ = "0.1.0"

__all__ = ["RunContext", "get_device", "get_profile", "set_seed", "start_notebook", "__version__"]
