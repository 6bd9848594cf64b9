"""Dates, times and numbers as each language of the product writes them (R-UX-2), read by
Django through ``FORMAT_MODULE_PATH``: ``formats/<language>/formats.py``.

What a module leaves out is Django's own format for that language. The ``locale`` folder
beside them writes Italian month and day names in lower case, as Italian does ("1 dicembre
1989"); Django's own Italian catalogue capitalises them.
"""
