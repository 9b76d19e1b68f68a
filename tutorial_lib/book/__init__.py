"""What only the book's notebooks need: run profiles, the Colab set-up cell, figures.

- ``runtime``: run profiles (quick / full), device and seeds; ``start_notebook``.
- ``colab``: the first cell every notebook shares, and its check.
- ``plotting``: matplotlib helpers, including a font that can draw Chinese.
- ``checks``: exercises that check themselves (``checks.sigmoid(my_sigmoid)``).
- ``source``: ``show_source``, the package's own code shown on a page.
"""
