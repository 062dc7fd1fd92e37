"""agentbench.view: the trajectory viewer, pages over one or more run stores.

`Site` renders a page path to HTML (querying the stores per page), `ViewServer` serves it
on 127.0.0.1, and `export_site` writes the same pages as static files with relative links.
"""
