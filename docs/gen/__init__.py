"""Page generation for the documentation site (run by mkdocs through ``docs/gen/hooks.py``).

``catalog`` is the data (which method goes on which guide page, which experiment draws which
figure, where the lectures disagree); ``pages`` turns it, the docstrings and the test registry
into Markdown, so that the site cannot drift from the code.
"""
