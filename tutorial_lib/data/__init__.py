"""Data: where the book's datasets come from and how they become model inputs.

- ``downloads``: fetch a verified file from a cache, a local mirror or its official URL.
- ``datasets``: the book's datasets (URLs, checksums, licences) and their loaders.
- ``splits``: train/validation/test splits that do not leak.
- ``text``: Chinese text normalisation, jieba segmentation, keywords, vocabularies.
- ``features``: user, item and text features for behaviour prediction, fitted on training rows.
- ``tfidf``: TF-IDF written out by hand (``TfidfScratch``), the twin of scikit-learn's.
- ``synthetic``: seeded interaction logs with MovieLens's long tail, to time models at any size.
"""
