"""Established libraries run as peers of the models the book writes from scratch.

Peer libraries are imported only inside these modules (and in notebooks), when a peer is run,
so ``import tutorial_lib`` works without them.

- ``surprise_library``: the Surprise library's rating predictors, on our cross-validation folds.
"""
