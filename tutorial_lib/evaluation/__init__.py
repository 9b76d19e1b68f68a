"""Evaluation: metrics, the book's evaluation protocols, and the results records.

- ``metrics``: one function per metric, each stating its definition and conventions.
- ``protocols``: the one top-N protocol every recommender of the book is evaluated with.
- ``uncertainty``: bootstrap confidence intervals over users and paired tests.
"""
