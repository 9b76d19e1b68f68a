"""Evaluation: metrics, the book's evaluation protocols, and the results records.

- ``metrics``: one function per metric, each stating its definition and conventions.
- ``protocols``: the one top-N protocol every recommender of the book is evaluated with.
- ``rating_protocol``: K-fold cross-validation of rating predictors (RMSE, MAE per fold),
  with settings chosen on validation ratings inside each fold's training part.
- ``uncertainty``: bootstrap confidence intervals over users and paired tests.
- ``results``: one JSON record per reported experiment (metrics, config, time, hardware,
  versions, commit); the book's tables and leaderboard are built from them.
- ``benchmarks``: scaling records (fit and recommend time, peak memory, as the data grows),
  written by ``benchmarks/scaling.py`` under ``results/benchmarks/``.
"""
