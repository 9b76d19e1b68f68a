"""Models, one module per family: each written from scratch, beside the library version it is
tested against.

- ``neighbourhood``: similarities and neighbourhood predictions for collaborative filtering,
  and the item- and user-based top-N recommenders on sparse matrices.
- ``logistic``: logistic regression from scratch in NumPy (gradient descent, Newton/IRLS).
- ``logistic_torch``: the same model as a one-layer PyTorch module.
- ``mlp``: the multilayer-perceptron behaviour predictor.
- ``baselines``: smoothed per-item and per-user like rates, the baselines to beat.
- ``popularity``: the popularity baseline of the top-N chapters (training counts).
- ``implicit_factorisation``: BPR and weighted ALS, matrix factorisation for implicit feedback.
- Rating prediction (explicit feedback): ``rating_predictor`` (the shared ``fit(ratings)`` /
  ``predict(users, items)`` interface), ``rating_baselines`` (global mean, user and item
  biases by ALS and SGD), ``rating_neighbourhood`` (user- and item-based kNN, mean- or
  baseline-centred), ``matrix_factorisation`` (biased MF by SGD and ALS, SVD++).
- Pretrained encoders: ``pretrained`` (load a model or tokeniser by one hub name or a local
  path; a tiny BERT for offline runs), ``text_classifier`` (BERT + a linear head on [CLS], and
  the dataset, samplers and collate that pad each batch).

Only this subpackage and ``tutorial_lib.training`` import PyTorch.
"""
