"""Self-contained HTML pages: the debug-data report, the find-errors review queue, training curves.

Each page is one file with its CSS, JavaScript and SVG inline: it opens from disk and makes no
network request. The modules import only what their page needs (``training`` only ``io``), so the
trainer can write its page without loading the checks.
"""
