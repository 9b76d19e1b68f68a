"""tutorial_lib: the code behind the book *Predicting user behaviour for recommender systems*.

Modules (each holds one kind of thing):

- ``runtime``: run profiles (quick / full), device and seeds; ``start_notebook``.
- ``colab``: the first cell every notebook shares, and its check.
- ``plotting``: matplotlib helpers, including a font that can draw Chinese.
- ``similarity``: cosine similarity between users or items (collaborative filtering).
- ``downloads``: fetch a verified file from a cache, a local mirror or its official URL.
- ``datasets``: the book's datasets (URLs, checksums, licences) and their loaders.
- ``splits``: train/test splits that do not leak.
- ``text``: Chinese text normalisation, jieba segmentation, keywords, vocabularies.
- ``features``: user, item and text features for behaviour prediction.
- ``logistic``: logistic regression from scratch (gradient descent, Newton/IRLS).
- ``metrics``: evaluation metrics, one function each.
- ``mlp``: the multilayer-perceptron behaviour predictor.
- ``training``: the small PyTorch training loop the chapters share.
- ``validation``: the input checks every public function uses.

Heavy dependencies (torch, transformers) are imported by the modules that need them, not here.
"""

from tutorial_lib.runtime import RunContext, get_device, get_profile, set_seed, start_notebook

__version__ = "0.1.0"

__all__ = ["RunContext", "get_device", "get_profile", "set_seed", "start_notebook", "__version__"]
