"""Evaluation: metrics, the book's evaluation protocols, and the results records.

- ``metrics``: one function per metric, each stating its definition and conventions.
- ``results``: one JSON record per reported experiment (metrics, config, time, hardware,
  versions, commit); the book's tables and leaderboard are built from them.
"""
