"""Established libraries wrapped in the book's recommender interface, as peers of our models.

A peer is someone else's implementation of a model the book writes from scratch; wrapping it
in :class:`tutorial_lib.models.recommender.Recommender` lets the one protocol
(:func:`tutorial_lib.evaluation.protocols.evaluate_top_n`) evaluate it on the identical
split, so the two sit in one table. Peer libraries are imported only here (and in
notebooks), when a peer is fitted, so ``import tutorial_lib`` works without them.

- ``implicit_library``: ``implicit``'s ALS and BPR (Frederickson's ``implicit`` package).
"""
