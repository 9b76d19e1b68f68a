"""What only the book's notebooks need: run profiles, the Colab set-up cell, figures.

- ``runtime``: run profiles (quick / full), device and seeds; ``start_notebook``.
- ``colab``: the first cell every notebook shares, and its check.
- ``plotting``: matplotlib helpers and the book's figure style (``use_book_figure_style``).
- ``fonts``: a font that can draw Chinese, found or installed (set-up, not plotting).
- ``progress``: progress bars that never end up in an executed page.
- ``checks``: exercises that check themselves (``checks.sigmoid(my_sigmoid)``).
- ``errata``: the sources' worked examples and wrong formulas, recomputed.
- ``source``: ``show_source``, the package's own code shown on a page.
- ``display``: ``print_wrapped``, printed lines that fit the book's text column.
"""
