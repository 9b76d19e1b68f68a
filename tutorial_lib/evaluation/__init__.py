"""Evaluation: metrics, the book's evaluation protocols, and the results records.

- ``metrics``: one function per metric, each stating its definition and conventions.
"""
