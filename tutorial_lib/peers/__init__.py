"""Established libraries run as peers of the models the book writes from scratch.

A peer is someone else's implementation of a model the book writes itself; it runs on the
identical split and protocol, so the two sit in one table with the time each took. Peer
libraries are imported only inside these modules (and in notebooks), when a peer is run, so
``import tutorial_lib`` works without them.

- ``surprise_library``: the Surprise library's rating predictors, on our cross-validation folds.
- ``implicit_library``: ``implicit``'s ALS and BPR (Frederickson's ``implicit`` package),
  wrapped in :class:`tutorial_lib.models.recommender.Recommender` so that
  :func:`tutorial_lib.evaluation.protocols.evaluate_top_n` evaluates them.
- ``transformers_trainer``: Hugging Face's ``Trainer`` as the peer of our fine-tuning loop, and
  LoRA adapters with ``peft``.
"""
